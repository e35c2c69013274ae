// Keys named by thumbprint, JWK reading, and a keyring that keeps license and status keys apart.

import { describe, expect, it } from 'vitest';
import { Keyring } from './keyring.js';
import { generateKeyPair, jwkThumbprint, publicKeyFromJwk, toPublicJwk } from './keys.js';

const code = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('keys', () => {
  it('names a key by its RFC 7638 thumbprint', () => {
    const pair = generateKeyPair();
    expect(pair.kid).toBe(jwkThumbprint(toPublicJwk(pair.publicKey)));
    expect(pair.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicKeyFromJwk(toPublicJwk(pair.publicKey))).toEqual(pair.publicKey);
  });
  it('generates different keys each time', () => {
    expect(generateKeyPair().kid).not.toBe(generateKeyPair().kid);
  });
  it('refuses JWKs of other key types, with a private part or a bad x', () => {
    const jwk = toPublicJwk(generateKeyPair().publicKey);
    for (const bad of [
      null,
      'x',
      { ...jwk, kty: 'EC' },
      { ...jwk, crv: 'X25519' },
      { ...jwk, d: jwk.x },
      { ...jwk, x: `${jwk.x}=` },
      { ...jwk, x: jwk.x.slice(1) },
    ]) {
      expect(code(() => publicKeyFromJwk(bad))).toBe('ERR_KEY_INVALID');
    }
  });
});

describe('Keyring', () => {
  const license = generateKeyPair();
  const status = generateKeyPair();
  const ring = Keyring.of([
    { publicKey: license.publicKey, purpose: 'license' },
    { publicKey: status.publicKey, purpose: 'status' },
  ]);
  it('gives a key for its own purpose only', () => {
    expect(ring.get(license.kid, 'license')).toEqual(license.publicKey);
    expect(code(() => ring.get(license.kid, 'status'))).toBe('ERR_KEY_WRONG_PURPOSE');
    expect(code(() => ring.get(status.kid, 'license'))).toBe('ERR_KEY_WRONG_PURPOSE');
    expect(code(() => ring.get(generateKeyPair().kid, 'license'))).toBe('ERR_KID_UNKNOWN');
  });
  it('round-trips through a JWKS marked with purposes', () => {
    const jwks = ring.toJwks();
    expect(jwks.keys).toEqual([
      {
        ...toPublicJwk(license.publicKey),
        kid: license.kid,
        alg: 'EdDSA',
        use: 'sig',
        purpose: 'license',
      },
      {
        ...toPublicJwk(status.publicKey),
        kid: status.kid,
        alg: 'EdDSA',
        use: 'sig',
        purpose: 'status',
      },
    ]);
    const again = Keyring.fromJwks(JSON.parse(JSON.stringify(jwks)));
    expect(again.toJwks()).toEqual(jwks);
    expect(again.kids('status')).toEqual([status.kid]);
    expect(again.has(license.kid, 'license')).toBe(true);
    expect(again.has(license.kid, 'status')).toBe(false);
  });
  it("keeps a license key's product, which a JWKS carries and an old reader ignores", () => {
    const own = generateKeyPair();
    const scoped = Keyring.of([
      { publicKey: license.publicKey, purpose: 'license' },
      { publicKey: own.publicKey, purpose: 'license', product: 'cms' },
      { publicKey: status.publicKey, purpose: 'status' },
    ]);
    expect(scoped.productOf(own.kid)).toBe('cms');
    expect(scoped.productOf(license.kid)).toBeUndefined();
    const jwks = JSON.parse(JSON.stringify(scoped.toJwks()));
    expect(jwks.keys[1]).toMatchObject({ kid: own.kid, purpose: 'license', product: 'cms' });
    expect(Keyring.fromJwks(jwks).productOf(own.kid)).toBe('cms');
    expect(Keyring.fromJwks(jwks).get(own.kid, 'license')).toEqual(own.publicKey);
  });
  it('refuses a product on a status key and a product name the claims would refuse', () => {
    const jwk = (purpose: string, product: unknown) => ({
      keys: [{ ...toPublicJwk(status.publicKey), kid: status.kid, purpose, product }],
    });
    expect(code(() => Keyring.fromJwks(jwk('status', 'cms')))).toBe('ERR_KEYRING_INVALID');
    for (const bad of ['', ' cms', 'a\nb', 'x'.repeat(101), 7]) {
      expect(code(() => Keyring.fromJwks(jwk('license', bad)))).toBe('ERR_KEYRING_INVALID');
    }
    expect(Keyring.fromJwks(jwk('license', 'cms')).productOf(status.kid)).toBe('cms');
  });
});
