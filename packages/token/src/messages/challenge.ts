// Challenges: made and signed by an installation with its own key, carried to the vendor by
// copy, e-mail or file. The header carries the installation's public key as `jwk`; the
// installation id (`sub`) must be that key's thumbprint.

import { type ChallengeClaims, validateChallengeClaims } from '../claims/challenge.js';
import { rememberUsablePublicKey } from '../crypto/ed25519-policy.js';
import { ClaimsInvalidError, KeyInvalidError } from '../errors.js';
import { readCompactJws } from '../jws/header.js';
import { MAX_TOKEN_LENGTH, TYP } from '../jws/limits.js';
import { signCompactJws } from '../jws/sign.js';
import { verifyReadJws } from '../jws/verify.js';
import {
  type Ed25519KeyPair,
  jwkThumbprint,
  type PublicJwk,
  publicKeyBytesFromJwk,
  publicKeyFromJwk,
  toPublicJwk,
} from '../keys.js';
import { base64urlDecode } from '../lib/base64url.js';
import { parseJsonObject } from '../lib/json.js';

/** A challenge read from its token: by verifyChallenge (signature checked) or for display. */
export interface DecodedChallenge {
  claims: ChallengeClaims;
  /** Thumbprint of the installation's public key (equals `claims.sub`). */
  installationId: string;
  publicJwk: PublicJwk;
  /** The normalised compact token. */
  token: string;
}

/** A challenge whose signature holds under the key in its own header. */
export type VerifiedChallenge = DecodedChallenge;

const RULES = {
  typ: TYP.challenge,
  maxLength: MAX_TOKEN_LENGTH,
  keyHeader: 'jwk',
  armour: 'challenge',
} as const;

export function signChallenge(claims: ChallengeClaims, installationKey: Ed25519KeyPair): string {
  const validated = validateChallengeClaims(claims);
  if (validated.sub !== installationKey.kid) {
    throw new ClaimsInvalidError(
      'sub',
      'must be the installation id (the thumbprint of the signing key)',
    );
  }
  const header = { alg: 'EdDSA', typ: TYP.challenge, jwk: toPublicJwk(installationKey.publicKey) };
  return signCompactJws(header, validated, installationKey, MAX_TOKEN_LENGTH);
}

/**
 * The installation key in the header. `verified`: the challenge's own signature is verified
 * with it next, so the byte rules suffice here and the verification refuses a key that is no
 * point (ERR_KEY_INVALID, as the full check would); for display, the full check.
 */
function headerKey(
  jwk: unknown,
  verified: boolean,
): {
  publicKey: Uint8Array;
  publicJwk: PublicJwk;
  installationId: string;
} {
  if (jwk === undefined)
    throw new KeyInvalidError('the challenge header has no "jwk" (the installation key)');
  const publicKey = verified ? publicKeyBytesFromJwk(jwk) : publicKeyFromJwk(jwk);
  const publicJwk = toPublicJwk(publicKey);
  return { publicKey, publicJwk, installationId: jwkThumbprint(publicJwk) };
}

/** Verifies a challenge signed by the key in its own header; no keyring is involved. */
export function verifyChallenge(token: string): VerifiedChallenge {
  const jws = readCompactJws(token, RULES);
  const { publicKey, publicJwk, installationId } = headerKey(jws.header.jwk, true);
  const verified = verifyReadJws(jws, publicKey);
  // It verified a signature, so it is a point: decoding this challenge again for its claims
  // (the issuer does, for the key set version it trusts) need not decode the point in JS.
  rememberUsablePublicKey(publicKey);
  const claims = validateChallengeClaims(parseJsonObject(verified.payload, 'challenge payload'));
  if (claims.sub !== installationId) {
    throw new ClaimsInvalidError(
      'sub',
      'is not the thumbprint of the key that signed the challenge',
    );
  }
  return { claims, installationId, publicJwk, token: verified.token };
}

/**
 * Reads a challenge WITHOUT checking its signature, for display only (e.g. showing what was
 * pasted before the operator confirms). Never act on the result; use verifyChallenge.
 */
export function decodeChallengeUnverified(token: string): DecodedChallenge {
  const jws = readCompactJws(token, RULES);
  const { publicJwk, installationId } = headerKey(jws.header.jwk, false);
  const payload = base64urlDecode(jws.payloadSegment, 'JWS payload');
  const claims = validateChallengeClaims(parseJsonObject(payload, 'challenge payload'));
  return { claims, installationId, publicJwk, token: jws.token };
}
