// Signed key sets (typ licensor-keyset+jwt): how new vendor keys reach fielded installations.
// Version N+1 must be signed by a license key that version N (what the installation trusts)
// holds, and must list that key as its active license key: a chain from the key set the CMS
// shipped with, in the spirit of TUF's root rotation. A status key never signs a key set.

import { type KeysetClaims, validateKeysetClaims } from '../claims/keyset.js';
import { ClaimsInvalidError, KeysetStaleError } from '../errors.js';
import { headerKid, readCompactJws } from '../jws/header.js';
import { MAX_KEYSET_TOKEN_LENGTH, TYP } from '../jws/limits.js';
import { signCompactJwsWith } from '../jws/sign.js';
import type { JwsSigner } from '../jws/signer.js';
import { verifyReadJws } from '../jws/verify.js';
import { Keyring } from '../keyring.js';
import { parseJsonObject } from '../lib/json.js';

export interface VerifiedKeyset {
  claims: KeysetClaims;
  /** The license key that signed it. */
  kid: string;
  token: string;
  /** The keys it lists, as a keyring (revoked keys are not in it). */
  keyring: Keyring;
}

const RULES = {
  typ: TYP.keyset,
  maxLength: MAX_KEYSET_TOKEN_LENGTH,
  keyHeader: 'kid',
  armour: 'keyset',
} as const;

/** Signs a key set with the active license key (which the claims must list as such). */
export async function signKeyset(claims: KeysetClaims, signer: JwsSigner): Promise<string> {
  const validated = validateKeysetClaims(claims);
  assertSignedByActive(validated, signer.kid);
  const header = { alg: 'EdDSA', typ: TYP.keyset, kid: signer.kid };
  return signCompactJwsWith(header, validated, signer, MAX_KEYSET_TOKEN_LENGTH);
}

function assertSignedByActive(claims: KeysetClaims, kid: string): void {
  const signer = claims.keys.find((key) => key.kid === kid);
  if (signer === undefined || signer.purpose !== 'license' || signer.state !== 'active') {
    throw new ClaimsInvalidError(
      'keys',
      `must list the key that signs the set (${kid}) as its active license key`,
    );
  }
}

/**
 * Verifies one key set against the keys trusted now: its signer must be a license key of
 * `trusted`. Says nothing about order; `advanceKeysets` does.
 */
export function verifyKeyset(token: string, trusted: Keyring): VerifiedKeyset {
  const jws = readCompactJws(token, RULES);
  const kid = headerKid(jws.header.kid);
  const verified = verifyReadJws(jws, trusted.get(kid, 'license'));
  const claims = validateKeysetClaims(parseJsonObject(verified.payload, 'key set payload'));
  assertSignedByActive(claims, kid);
  return { claims, kid, token: verified.token, keyring: Keyring.fromJwks({ keys: claims.keys }) };
}

export interface Trust {
  /** Version of the key set trusted; 0 for the key set the installation shipped with. */
  seq: number;
  keyring: Keyring;
}

/**
 * Follows key set versions from `trust`: each must verify under the keys the one before it
 * lists, and be newer. The whole walk succeeds or throws (nothing half-applied): a forged,
 * truncated, older or wrongly signed version anywhere refuses all of them.
 */
export function advanceKeysets(
  trust: Trust,
  tokens: readonly string[],
): { trust: Trust; applied: VerifiedKeyset[] } {
  let current = trust;
  const applied: VerifiedKeyset[] = [];
  for (const token of tokens) {
    const keyset = verifyKeyset(token, current.keyring);
    if (keyset.claims.seq <= current.seq) {
      throw new KeysetStaleError(
        `key set version ${keyset.claims.seq} is not newer than the trusted version ${current.seq}: an older copy is never applied`,
      );
    }
    applied.push(keyset);
    current = { seq: keyset.claims.seq, keyring: keyset.keyring };
  }
  return { trust: current, applied };
}
