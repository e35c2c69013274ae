// Check requests: the SDK's signed question to the online service, `kid` = installation id.
// The service reads the request first (decodeCheckUnverified, or readCheckKid for the kid alone)
// to look up the installation's key, then verifies: verifyDecodedCheck checks the signature of
// what it read without reading the token again.

import { type CheckClaims, copyCheckClaims, validateCheckClaims } from '../claims/check.js';
import { KeyInvalidError, KidUnknownError } from '../errors.js';
import { type CompactJws, headerKid, readCompactJws } from '../jws/header.js';
import { MAX_TOKEN_LENGTH, TYP } from '../jws/limits.js';
import { signCompactJws } from '../jws/sign.js';
import { checkReadJwsSignature, verifyReadJws } from '../jws/verify.js';
import { type Ed25519KeyPair, jwkThumbprint, toPublicJwk } from '../keys.js';
import { base64urlDecode } from '../lib/base64url.js';
import { parseJsonObject } from '../lib/json.js';

export interface VerifiedCheck {
  claims: CheckClaims;
  /** The `kid` of the request, proven to be the thumbprint of the key that signed it. */
  installationId: string;
  /** The normalised compact token. */
  token: string;
}

const RULES = {
  typ: TYP.check,
  maxLength: MAX_TOKEN_LENGTH,
  keyHeader: 'kid',
  armour: null,
} as const;

export function signCheck(claims: CheckClaims, installationKey: Ed25519KeyPair): string {
  const validated = validateCheckClaims(claims);
  const header = { alg: 'EdDSA', typ: TYP.check, kid: installationKey.kid };
  return signCompactJws(header, validated, installationKey, MAX_TOKEN_LENGTH);
}

/** The installation id a check request names, after the size and shape checks, before any signature work. */
export function readCheckKid(token: string): string {
  return headerKid(readCompactJws(token, RULES).header.kid, true);
}

/** A check request read from its token, its signature NOT checked. */
export interface DecodedCheck {
  claims: CheckClaims;
  /** The `kid` the request names; not yet proven. */
  installationId: string;
  /** The normalised compact token. */
  token: string;
}

/**
 * Reads a check request WITHOUT checking its signature, with the same size, header, JSON and
 * schema rules as verifyCheck: for a service that must find the installation key from the
 * claims (the license id) before it can verify. Trust nothing in it until verifyCheck passes.
 */
export function decodeCheckUnverified(token: string): DecodedCheck {
  const jws = readCompactJws(token, RULES);
  const installationId = headerKid(jws.header.kid, true);
  const payload = base64urlDecode(jws.payloadSegment, 'JWS payload');
  const claims = validateCheckClaims(parseJsonObject(payload, 'check payload'));
  // The caller gets a copy: `claims` stays private, as parsed from the signed payload segment.
  const decoded = { claims: copyCheckClaims(claims), installationId, token: jws.token };
  reads.set(decoded, { jws, claims, installationId });
  return decoded;
}

/**
 * What decodeCheckUnverified read, by the object it returned: the read JWS and the claims parsed
 * from its payload segment, as they were. Those claims are never handed out (the DecodedCheck
 * holds a copy, verifyDecodedCheck returns another), so a caller that replaces
 * `decoded.claims`, or changes it in place, changes nothing verifyDecodedCheck returns. Weak:
 * dropped with the DecodedCheck.
 */
const reads = new WeakMap<
  DecodedCheck,
  { jws: CompactJws; claims: CheckClaims; installationId: string }
>();

const thumbprints = new WeakMap<Uint8Array, string>();

function thumbprintOf(publicKey: Uint8Array): string {
  let thumbprint = thumbprints.get(publicKey);
  if (thumbprint === undefined) {
    thumbprint = jwkThumbprint(toPublicJwk(publicKey));
    thumbprints.set(publicKey, thumbprint);
  }
  return thumbprint;
}

/**
 * Verifies a check request with the installation key `resolveInstallationKey(kid)` returns
 * (undefined: ERR_KID_UNKNOWN). The key must have the kid as its thumbprint.
 */
export function verifyCheck(
  token: string,
  resolveInstallationKey: (kid: string) => Uint8Array | undefined,
): VerifiedCheck {
  const jws = readCompactJws(token, RULES);
  const kid = headerKid(jws.header.kid, true);
  const verified = verifyReadJws(jws, installationKeyOf(kid, resolveInstallationKey));
  const claims = validateCheckClaims(parseJsonObject(verified.payload, 'check payload'));
  return { claims, installationId: kid, token: verified.token };
}

/**
 * verifyCheck for a request decodeCheckUnverified has read: the same key checks and the same
 * signature check over the same bytes, without reading the token and parsing its claims again
 * (the verify service reads every request before it knows the key). The claims returned are a
 * fresh copy of those decodeCheckUnverified parsed from the payload segment the signature covers
 * (whatever the caller did to `decoded.claims` or to an earlier result). A
 * DecodedCheck it did not return (a copy, one built by hand) is verified from its `token` alone,
 * exactly as verifyCheck does.
 */
export function verifyDecodedCheck(
  decoded: DecodedCheck,
  resolveInstallationKey: (kid: string) => Uint8Array | undefined,
): VerifiedCheck {
  const read = reads.get(decoded);
  if (read === undefined) return verifyCheck(decoded.token, resolveInstallationKey);
  const kid = read.installationId;
  checkReadJwsSignature(read.jws, installationKeyOf(kid, resolveInstallationKey));
  return { claims: copyCheckClaims(read.claims), installationId: kid, token: read.jws.token };
}

/** The installation key for `kid`: known, a 32-byte Ed25519 key, `kid` its thumbprint. */
function installationKeyOf(
  kid: string,
  resolveInstallationKey: (kid: string) => Uint8Array | undefined,
): Uint8Array {
  const publicKey = resolveInstallationKey(kid);
  if (publicKey === undefined) {
    throw new KidUnknownError(`no installation key is known for ${kid}`);
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new KeyInvalidError(`the key resolved for ${kid} is not a 32-byte Ed25519 public key`);
  }
  if (thumbprintOf(publicKey) !== kid) {
    throw new KeyInvalidError(`the key resolved for ${kid} has another thumbprint`);
  }
  return publicKey;
}
