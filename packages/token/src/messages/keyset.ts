// Signed key sets (typ licensor-keyset+jwt): how new vendor keys reach fielded installations.
// Version N+1 must be signed by a license key that version N (what the installation trusts)
// holds, and must list that key as its active license key: a chain from the key set the CMS
// shipped with, in the spirit of TUF's root rotation. A status key never signs a key set.

import { type KeysetClaims, validateKeysetClaims } from '../claims/keyset.js';
import { MAX_RELAYED_KEYSETS } from '../claims/status.js';
import { ClaimsInvalidError, KeysetStaleError, KeyWrongPurposeError } from '../errors.js';
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
  // A product's key signs licenses of its product, never a key set: the vendor's key does.
  if (
    signer === undefined ||
    signer.purpose !== 'license' ||
    signer.state !== 'active' ||
    signer.product !== undefined
  ) {
    throw new ClaimsInvalidError(
      'keys',
      `must list the key that signs the set (${kid}) as its active license key (the vendor's own, not a product's)`,
    );
  }
}

/**
 * Verifies one key set against the keys trusted now: its signer must be a license key of
 * `trusted` that belongs to no product (the vendor's own). Which key is the vendor's is read
 * from `trusted`, never from the new set (its signer writes that). Says nothing about order;
 * `advanceKeysets` does.
 */
export function verifyKeyset(token: string, trusted: Keyring): VerifiedKeyset {
  const jws = readCompactJws(token, RULES);
  const kid = headerKid(jws.header.kid);
  const publicKey = trusted.get(kid, 'license');
  const product = trusted.productOf(kid);
  if (product !== undefined) {
    // A product's key signs licenses of its product, never a key set: it could add keys.
    throw new KeyWrongPurposeError(
      `the key ${kid} is a license key of the product ${product}: only the vendor's own license key signs a key set`,
    );
  }
  const verified = verifyReadJws(jws, publicKey);
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

/** Key set text carried by one status (or one offline bundle) at most. */
export const MAX_RELAYED_KEYSET_CHARS = 24_000;

/** A published version, as the vendor's store keeps it. */
export interface PublishedKeyset {
  seq: number;
  token: string;
  /** The license key that signed it. */
  signedBy: string;
  /** The kids it lists. */
  kids: readonly string[];
}

/**
 * The versions an installation of one product walks (key set format 2): the vendor's versions
 * before the product's first set, then the product's own. Every scope shares one sequence of
 * numbers and one signer (the vendor's key), and from its first set on the vendor publishes the
 * product's set under every number, so the result is a chain. A vendor's version above the
 * product's newest is left out: its product set is still being written (the next read has it).
 */
export function scopedVersions<T extends PublishedKeyset>(
  vendor: readonly T[],
  product: readonly T[],
): T[] {
  if (product.length === 0) return [...vendor].sort((a, b) => a.seq - b.seq);
  const first = Math.min(...product.map((version) => version.seq));
  return [...vendor.filter((version) => version.seq < first), ...product].sort(
    (a, b) => a.seq - b.seq,
  );
}

/**
 * The versions an installation trusting version `trusted` needs to reach the newest, oldest
 * first, as a chain `advanceKeysets` can walk: each step the furthest version signed by a key
 * the step before lists (from version 0, the shipped keys, whose keys the vendor does not know
 * here, the first step is version 1). At most MAX_RELAYED_KEYSETS versions and
 * MAX_RELAYED_KEYSET_CHARS characters (at least one version): the rest come next time.
 */
export function keysetChain(versions: readonly PublishedKeyset[], trusted: number): string[] {
  const sorted = [...versions].sort((a, b) => a.seq - b.seq);
  const after = sorted.filter((version) => version.seq > trusted);
  let kids: readonly string[] | null =
    sorted.find((version) => version.seq === trusted)?.kids ?? null;
  const chain: string[] = [];
  let size = 0;
  let index = 0;
  while (index < after.length && chain.length < MAX_RELAYED_KEYSETS) {
    let pick = index;
    if (kids !== null) {
      for (let j = after.length - 1; j > index; j--) {
        if (kids.includes(after[j]!.signedBy)) {
          pick = j;
          break;
        }
      }
    }
    const version = after[pick]!;
    if (chain.length > 0 && size + version.token.length > MAX_RELAYED_KEYSET_CHARS) break;
    chain.push(version.token);
    size += version.token.length;
    kids = version.kids;
    index = pick + 1;
  }
  return chain;
}
