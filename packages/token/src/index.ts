// @licensor/token: the one schema of Licensor's four signed messages (challenge, license,
// check request, status), their Ed25519 JWS signing and strict verification, keys, keyring
// and the error hierarchy every package builds on.

export { challengeHash } from './challenge-hash.js';
export {
  MAX_COUNT,
  MAX_CUSTOMER_NAME_LENGTH,
  MAX_GRACE_SECONDS,
  MAX_NUMERIC_DATE,
  MAX_REJECTION_REASON_LENGTH,
  MAX_STATUS_REJECTIONS,
} from './claims/bounds.js';
export type {
  ChallengeClaims,
  ChallengeLicense,
  ChallengeRequest,
  ChallengeRequestKind,
  ChallengeUsage,
} from './claims/challenge.js';
export { validateChallengeClaims } from './claims/challenge.js';
export type { CheckClaims } from './claims/check.js';
export { MAX_KEYSET_SEQ, validateCheckClaims } from './claims/check.js';
export {
  coversProduct,
  ENTITLEMENT_NAME_PATTERN,
  type FeatureGrant,
  type LimitGrant,
  type LimitRequest,
  type LimitUsage,
  MAX_ENTITLEMENTS,
  type ProductGrant,
  RESERVED_LIMIT_NAMES,
  VERSION_PREFIX_PATTERN,
  versionHasPrefix,
} from './claims/entitlements.js';
export {
  KEYSET_KEY_STATES,
  type KeysetClaims,
  type KeysetKey,
  type KeysetKeyState,
  MAX_KEYSET_KEYS,
  validateKeysetClaims,
} from './claims/keyset.js';
export type { LicenseClaims, LicenseTerm } from './claims/license.js';
export { validateLicenseClaims } from './claims/license.js';
export {
  FORMAT_VERSION,
  LICENSE_MODELS,
  type LicenseModel,
  MESSAGE_VERSIONS,
  type MessageVersionKind,
  type Product,
  textRefusal,
  type Usage,
} from './claims/schema.js';
export {
  CHECK_OUTCOMES,
  type CheckOutcome,
  MAX_RELAYED_KEYSETS,
  MAX_STATUS_SKEW_SECONDS,
  type StatusClaims,
  type StatusRejection,
  validateStatusClaims,
} from './claims/status.js';
export {
  type Ed25519BackendName,
  getEd25519Backend,
  setEd25519Backend,
} from './crypto/backend.js';
export {
  ArmorInvalidError,
  Base64urlInvalidError,
  ClaimsInvalidError,
  InputTooLargeError,
  isLicensorError,
  JsonInvalidError,
  JwsAlgInvalidError,
  JwsHeaderForbiddenError,
  JwsMalformedError,
  JwsTypInvalidError,
  KeyInvalidError,
  KeyringInvalidError,
  KeysetStaleError,
  KeyWrongPurposeError,
  KidUnknownError,
  LicensorError,
  SignatureInvalidError,
  TOKEN_ERROR_CODES,
  type TokenErrorCode,
  VersionUnsupportedError,
} from './errors.js';
export {
  ID_PREFIXES,
  ID_RANDOM_BYTES,
  ID_TIME_BYTES,
  type IdPrefix,
  MINTED_ID_PATTERN,
  newId,
  newNonce,
} from './ids.js';
export {
  MAX_KEYSET_TOKEN_LENGTH,
  MAX_STATUS_TOKEN_LENGTH,
  MAX_TOKEN_LENGTH,
  type MessageKind,
  TYP,
} from './jws/limits.js';
export { signCompactJwsWith } from './jws/sign.js';
export { type JwsSigner, signerFromKeyPair } from './jws/signer.js';
export { type GenericJwsOptions, verifyJws } from './jws/verify.js';
export { type Jwks, Keyring, type KeyringJwk } from './keyring.js';
export {
  type Ed25519KeyPair,
  generateKeyPair,
  jwkThumbprint,
  type KeyPurpose,
  keyPairFromSeed,
  type PublicJwk,
  publicKeyFromJwk,
  toPublicJwk,
} from './keys.js';
export { base64urlDecode, base64urlEncode } from './lib/base64url.js';
export {
  type DecodedChallenge,
  decodeChallengeUnverified,
  signChallenge,
  type VerifiedChallenge,
  verifyChallenge,
} from './messages/challenge.js';
export {
  type DecodedCheck,
  decodeCheckUnverified,
  readCheckKid,
  signCheck,
  type VerifiedCheck,
  verifyCheck,
  verifyDecodedCheck,
} from './messages/check.js';
export {
  advanceKeysets,
  keysetChain,
  MAX_RELAYED_KEYSET_CHARS,
  type PublishedKeyset,
  scopedVersions,
  signKeyset,
  type Trust,
  type VerifiedKeyset,
  verifyKeyset,
} from './messages/keyset.js';
export {
  signLicense,
  signLicenseWith,
  type VerifiedLicense,
  verifyLicense,
} from './messages/license.js';
export { signStatus, type VerifiedStatus, verifyStatus } from './messages/status.js';
export {
  type ArmourKind,
  armour,
  armourBlocks,
  armourBundle,
  MAX_PASTED_LENGTH,
  normaliseToken,
} from './normalise.js';
