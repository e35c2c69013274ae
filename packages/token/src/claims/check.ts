// Claims of a check request (typ licensor-check+jwt): the SDK asks the online service about
// the license in force, signed with the installation's key.

import {
  chainValue,
  id,
  integer,
  MESSAGE_VERSIONS,
  nonce,
  numericDate,
  object,
  type Product,
  positiveCount,
  product,
  text,
  type Usage,
  usage,
  version,
} from './schema.js';

/** Version 2 adds the optional `prev` and `keyset`. */
export interface CheckClaims {
  v: 1 | 2;
  iat: number;
  /** 16 random bytes, base64url (22 characters). */
  nonce: string;
  lid: string;
  /** Revision of the token in force. */
  rev: number;
  /** SDK version. */
  sdk: string;
  product: Product;
  usage: Usage;
  /**
   * v2: the `chain` of the newest status this installation holds (absent before its first v2
   * status). Two copies of one installation present the same value once, then diverge.
   */
  prev?: string;
  /**
   * v2: the version of the vendor's signed key set the installation trusts (0: only the keys it
   * shipped with). The service relays newer versions with the status; absent: relay none.
   */
  keyset?: number;
}

const CLAIMS = ['v', 'iat', 'nonce', 'lid', 'rev', 'sdk', 'product', 'usage'];
const V2_OPTIONAL = ['prev', 'keyset'];
/** The highest key set version number (as in the key set's own `seq`). */
export const MAX_KEYSET_SEQ = 1_000_000_000;

/** Validates check-request claims; returns a copy holding exactly the schema's members. */
export function validateCheckClaims(payload: unknown): CheckClaims {
  const v = version(payload, 'check request', MESSAGE_VERSIONS.check);
  const o = object(payload, '', CLAIMS, v >= 2 ? V2_OPTIONAL : []);
  const claims: CheckClaims = {
    v,
    iat: numericDate(o.iat, 'iat'),
    nonce: nonce(o.nonce, 'nonce'),
    lid: id(o.lid, 'lid'),
    rev: positiveCount(o.rev, 'rev'),
    sdk: text(64)(o.sdk, 'sdk'),
    product: product(o.product, 'product'),
    usage: usage(o.usage, 'usage'),
  };
  if (Object.hasOwn(o, 'prev')) claims.prev = chainValue(o.prev, 'prev');
  if (Object.hasOwn(o, 'keyset')) claims.keyset = integer(0, MAX_KEYSET_SEQ)(o.keyset, 'keyset');
  return claims;
}

/**
 * A copy of claims validateCheckClaims returned, sharing no object with them (product and
 * usage copied too): what a reader keeps so that a caller changing the claims it was handed, in
 * place, cannot change what is reported as signed. A member added to CheckClaims is added here.
 */
export function copyCheckClaims(claims: CheckClaims): CheckClaims {
  const copy: CheckClaims = {
    v: claims.v,
    iat: claims.iat,
    nonce: claims.nonce,
    lid: claims.lid,
    rev: claims.rev,
    sdk: claims.sdk,
    product: { name: claims.product.name, version: claims.product.version },
    usage: { credentialsInUse: claims.usage.credentialsInUse },
  };
  if (claims.prev !== undefined) copy.prev = claims.prev;
  if (claims.keyset !== undefined) copy.keyset = claims.keyset;
  return copy;
}
