// Claims of a signed key set (typ licensor-keyset+jwt): the vendor's public keys as one numbered
// version, each key with its state. Version N+1 is signed by a license key that version N
// trusts, so an installation can follow the versions from the key set it shipped with.
// Version 2 adds product scopes: a set for one product (`scope`: its name) lists the vendor's
// own keys and that product's license keys (`product` on each), and is still signed by the
// vendor's own active license key, so one chain of versions numbers every scope.

import { KeyringInvalidError } from '../errors.js';
import { Keyring, type KeyringJwk } from '../keyring.js';
import { MAX_KEYSET_SEQ } from './check.js';
import {
  digest,
  fail,
  integer,
  MESSAGE_VERSIONS,
  numericDate,
  object,
  oneOf,
  productName,
  version,
} from './schema.js';

export type KeysetKeyState = 'next' | 'active' | 'retired';
export const KEYSET_KEY_STATES: readonly KeysetKeyState[] = ['next', 'active', 'retired'];

/** A key of the set: a keyring JWK with its state. */
export interface KeysetKey extends KeyringJwk {
  /** next: trusted, not signing yet; active: signs; retired: signs no more, still verifies. */
  state: KeysetKeyState;
}

export interface KeysetClaims {
  v: 1 | 2;
  /** Version number of the set: 1, 2, …; an installation accepts only a higher one. */
  seq: number;
  iat: number;
  /** What to trust from now on. */
  keys: KeysetKey[];
  /** Keys trusted by nobody any more (revoked): an installation drops them. */
  revoked: string[];
  /**
   * Version 2: the product this set is for (the name its SDK reports); absent = the vendor's
   * set, which every product trusts. Its keys are the vendor's own and this product's.
   */
  scope?: string;
}

export const MAX_KEYSET_KEYS = 64;
const CLAIMS = ['v', 'seq', 'iat', 'keys', 'revoked'];
const KEY_MEMBERS = ['kty', 'crv', 'x', 'kid', 'alg', 'use', 'purpose', 'state'];
/** Version 2 members: the set's product, and the product of each product key. */
const CLAIMS_V2 = ['scope'];
const KEY_MEMBERS_V2 = ['product'];

function array(value: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    fail(path, `must be an array of ${min} to ${max} members`);
  }
  return value;
}

/** Validates key set claims; returns a copy holding exactly the schema's members. */
export function validateKeysetClaims(payload: unknown): KeysetClaims {
  const v = version(payload, 'key set', MESSAGE_VERSIONS.keyset);
  const o = object(payload, '', CLAIMS, v >= 2 ? CLAIMS_V2 : []);
  const scope = o.scope === undefined ? undefined : productName(o.scope, 'scope');
  const keys = array(o.keys, 'keys', 1, MAX_KEYSET_KEYS).map((value, index): KeysetKey => {
    const path = `keys[${index}]`;
    const k = object(value, path, KEY_MEMBERS, v >= 2 ? KEY_MEMBERS_V2 : []);
    if (k.product !== undefined) {
      const product = productName(k.product, `${path}.product`);
      if (product !== scope) {
        fail(
          `${path}.product`,
          scope === undefined
            ? 'is not allowed in the vendor set (no scope): a product key is listed only in its product set'
            : `must be the set's scope ${JSON.stringify(scope)}: a product set lists no other product's keys`,
        );
      }
    }
    return {
      kty: k.kty as 'OKP',
      crv: k.crv as 'Ed25519',
      x: k.x as string,
      kid: k.kid as string,
      alg: k.alg as 'EdDSA',
      use: k.use as 'sig',
      purpose: k.purpose as KeysetKey['purpose'],
      state: oneOf(KEYSET_KEY_STATES)(k.state, `${path}.state`),
      ...(k.product === undefined ? {} : { product: k.product as string }),
    };
  });
  try {
    // Kids are thumbprints, keys canonical, purposes known, no key twice.
    Keyring.fromJwks({ keys });
  } catch (error) {
    if (
      error instanceof KeyringInvalidError ||
      (error as { code?: string }).code === 'ERR_KEY_INVALID'
    ) {
      fail('keys', (error as Error).message);
    }
    throw error;
  }
  // One active key of each purpose that is the vendor's own (it signs the set); a product set
  // may add one active key of its product.
  for (const purpose of ['license', 'status'] as const) {
    const active = keys.filter(
      (key) => key.purpose === purpose && key.state === 'active' && key.product === undefined,
    );
    if (active.length !== 1) fail('keys', `must hold exactly one active ${purpose} key`);
  }
  if (keys.filter((key) => key.product !== undefined && key.state === 'active').length > 1) {
    fail('keys', `must hold at most one active license key of product ${JSON.stringify(scope)}`);
  }
  const revoked = array(o.revoked, 'revoked', 0, 1024).map((kid, index) =>
    digest(kid, `revoked[${index}]`),
  );
  for (const kid of revoked) {
    if (keys.some((key) => key.kid === kid))
      fail('revoked', `lists ${kid}, which keys still holds`);
  }
  return {
    v,
    seq: integer(1, MAX_KEYSET_SEQ)(o.seq, 'seq'),
    iat: numericDate(o.iat, 'iat'),
    keys,
    revoked,
    ...(scope === undefined ? {} : { scope }),
  };
}
