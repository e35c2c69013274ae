// Claims of a check request (typ licensor-check+jwt): the SDK asks the online service about
// the license in force, signed with the installation's key.

import {
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

export interface CheckClaims {
  v: 1;
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
}

const CLAIMS = ['v', 'iat', 'nonce', 'lid', 'rev', 'sdk', 'product', 'usage'];

/** Validates check-request claims; returns a copy holding exactly the schema's members. */
export function validateCheckClaims(payload: unknown): CheckClaims {
  version(payload, 'check request', MESSAGE_VERSIONS.check);
  const o = object(payload, '', CLAIMS);
  return {
    v: 1,
    iat: numericDate(o.iat, 'iat'),
    nonce: nonce(o.nonce, 'nonce'),
    lid: id(o.lid, 'lid'),
    rev: positiveCount(o.rev, 'rev'),
    sdk: text(64)(o.sdk, 'sdk'),
    product: product(o.product, 'product'),
    usage: usage(o.usage, 'usage'),
  };
}
