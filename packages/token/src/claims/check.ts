// Claims of a check request (typ licensor-check+jwt): the SDK asks the online service about
// the license in force, signed with the installation's key.

import {
  chainValue,
  id,
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

/** Version 2 adds the optional `prev`. */
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
}

const CLAIMS = ['v', 'iat', 'nonce', 'lid', 'rev', 'sdk', 'product', 'usage'];
const V2_OPTIONAL = ['prev'];

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
  return claims;
}
