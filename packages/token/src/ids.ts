// The one id generator of Licensor (contract, "Ids"): every record id any package mints is
// `<prefix>_<22 base64url characters of 16 bytes>`: the creation time in milliseconds (6 bytes)
// then 10 random bytes, so that the ids a store indexes arrive near each other (issue #15.2);
// a check's nonce is 16 random bytes, the 22 characters alone. The prefix names the kind of record, from one list, so an id read in a log
// says what it names. Random bytes come from the platform's CSPRNG (Web Crypto, in Node and in
// browsers), drawn 256 ids at a time: the verify service mints one per check on its hot path.
//
// Secrets are not ids and are not made here: session ids, CSRF tokens, API token and webhook
// secrets, passwords and salts are drawn where they are used, at their own length.

import { base64urlEncode } from './lib/base64url.js';

/** The kind of record each prefix names. */
export const ID_PREFIXES = {
  lic: 'license',
  cus: 'customer',
  txn: 'transaction (also the id of a license token: its jti)',
  req: 'approval request (model switch, rehost)',
  usr: 'vendor user',
  chk: 'online check record',
  evt: 'audit event',
  prd: 'product',
  pln: 'plan',
  frk: 'fork of an installation',
  chl: 'challenge (its jti, made by the SDK)',
  tok: 'API token',
  whe: 'webhook endpoint',
  lgf: 'failed login (the login limit counts them)',
} as const;

export type IdPrefix = keyof typeof ID_PREFIXES;

/** Bytes behind one id (time and random, see newId) and one nonce (all random): 22 characters. */
export const ID_RANDOM_BYTES = 16;
/** What an id minted here looks like: a known prefix, `_`, 22 base64url characters. */
export const MINTED_ID_PATTERN = new RegExp(
  `^(?:${Object.keys(ID_PREFIXES).join('|')})_[A-Za-z0-9_-]{22}$`,
);

const POOLED_IDS = 256;
const pool = new Uint8Array(ID_RANDOM_BYTES * POOLED_IDS);
let offset = pool.length;

/** 16 bytes from the pool; the caller overwrites the first `keep` of them (see newId). */
function pooledBytes(): Uint8Array {
  if (offset === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + ID_RANDOM_BYTES);
  offset += ID_RANDOM_BYTES;
  return bytes;
}

function encodeOnce(bytes: Uint8Array): string {
  const text = base64urlEncode(bytes);
  // Never hand the same bytes out twice, even to a caller that keeps a view of them.
  bytes.fill(0);
  return text;
}

function randomPart(): string {
  return encodeOnce(pooledBytes());
}

/** Bytes of the creation time (ms, big-endian) at the start of an id. */
export const ID_TIME_BYTES = 6;

/**
 * An id's 16 bytes: the creation time in milliseconds (6 bytes, big-endian), then 10 random
 * bytes (80 bits), as UUIDv7 does. Ids made close in time share their first characters, so a
 * store's index on them grows at a few places instead of at a random page for every record.
 */
function timeOrderedPart(now: number): string {
  const bytes = pooledBytes();
  let ms = Math.max(0, Math.floor(now));
  for (let i = ID_TIME_BYTES - 1; i >= 0; i -= 1) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  return encodeOnce(bytes);
}

/** A new id of the given kind: `lic_…`, `txn_…`, `chk_…` (see ID_PREFIXES). */
export function newId(prefix: IdPrefix): string {
  if (!Object.hasOwn(ID_PREFIXES, prefix)) {
    throw new TypeError(`unknown id prefix ${JSON.stringify(prefix)}: add it to ID_PREFIXES`);
  }
  return `${prefix}_${timeOrderedPart(Date.now())}`;
}

/** A check's nonce: 16 random bytes, base64url (22 characters); no time in it. */
export function newNonce(): string {
  return randomPart();
}
