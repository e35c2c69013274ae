// Public surface of @licensor/sdk: the customer side of Licensor that a product embeds.
export {
  type CheckOutcome,
  isLicensorError,
  type Jwks,
  Keyring,
  type KeyringJwk,
  type LicenseModel,
  LicensorError,
  type ProductGrant,
} from '@licensor/token';

export type { AuditQuery } from './audit.js';
export { defaultAuthorize, isSystemAdministrator, SYSTEM_ADMINISTRATOR } from './authorize.js';
export {
  type JwksJson,
  type LicensorOptions,
  MAX_VERIFY_TIMEOUT_MS,
  type TrustedKeys,
} from './context.js';
export { type ChallengeOptions, MAX_PENDING_REQUESTS } from './create-challenge.js';
export {
  CapacityReachedError,
  ChallengeExpiredError,
  ChallengeRequiredError,
  ChallengeUnknownError,
  ClockRollbackError,
  InputInvalidError,
  InstallationKeyMissingError,
  KeyFileInsecureError,
  KeysetDropsKeyInUseError,
  KeysetInvalidError,
  KeysetOtherProductError,
  KeysetStaleError,
  KeysetUntrustedError,
  LicenseExpiredError,
  LicenseFromFutureError,
  LicenseKeyOtherProductError,
  LicenseNotStartedError,
  LicenseOlderError,
  LicenseOtherInstallationError,
  LicenseOtherLicenseError,
  LicenseOtherProductError,
  LicenseRevokedError,
  LicenseSuspendedError,
  type LicensorErrorCode,
  ModelUnchangedError,
  NoLicenseError,
  NotAuthorizedError,
  OperatorInvalidError,
  RequestUnknownError,
  RevisionNotNewerError,
  SDK_ERROR_CODES,
  SdkError,
  type SdkErrorCode,
  StateAccessError,
  StateCorruptError,
  StateForeignError,
  StateLockedError,
  StateMissingError,
  StateNotFoundError,
  StateTamperedError,
  StatusInvalidError,
  StatusMismatchError,
  sdkError,
  TooManyPendingError,
  TrustChangedError,
  TrustInvalidError,
  VerifyHttpError,
  VerifyTimeoutError,
  VerifyUnreachableError,
  VerifyUrlMissingError,
  VerifyUrlWrongError,
} from './errors.js';
export type { TrustedKey } from './keyset.js';
export { createLicensor, type Licensor } from './licensor.js';
export { MAX_OPERATOR_FIELD_LENGTH, MAX_OPERATOR_ROLES } from './operation.js';
export type { ModelSwitchOptions } from './request-model-switch.js';
export { MAX_CANCEL_REASON_LENGTH, MAX_CLOSED_REQUESTS } from './requests.js';
export { FileStore, type FileStoreOptions } from './store/file-store.js';
export { MemoryStore } from './store/memory-store.js';
export type {
  AuditAnchor,
  LicensorStore,
  StateDocument,
  StoredClosedRequest,
  StoredPendingChallenge,
  StoredState,
} from './store/store.js';
export type { TrustInfo, TrustResult } from './trust.js';
export type {
  ApplyResult,
  AuditEntry,
  AuditVerification,
  Authorize,
  Capacity,
  ChallengeRequest,
  ChallengeResult,
  CheckAttempt,
  ClockReport,
  ClosedRequest,
  FeatureInfo,
  LicenseInfo,
  LicenseState,
  LimitInfo,
  Operator,
  OperatorAction,
  PendingRequest,
  StateReason,
  VerifyResult,
} from './types.js';
export type { VerifyOptions } from './verify-online.js';
export { SDK_VERSION } from './version.js';
