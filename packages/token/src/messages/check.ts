// Check requests: the SDK's signed question to the online service, `kid` = installation id.
// The service reads the kid first (readCheckKid) to look up the installation's key, then
// verifies.

import { type CheckClaims, validateCheckClaims } from '../claims/check.js';
import { KeyInvalidError, KidUnknownError } from '../errors.js';
import { headerKid, readCompactJws } from '../jws/header.js';
import { MAX_TOKEN_LENGTH, TYP } from '../jws/limits.js';
import { signCompactJws } from '../jws/sign.js';
import { verifyReadJws } from '../jws/verify.js';
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
  return { claims, installationId, token: jws.token };
}

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
  const verified = verifyReadJws(jws, publicKey);
  const claims = validateCheckClaims(parseJsonObject(verified.payload, 'check payload'));
  return { claims, installationId: kid, token: verified.token };
}
