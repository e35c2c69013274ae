import { describe, expect, it } from 'vitest';
import { validateCheckClaims } from './claims/check.js';
import { ID_PREFIXES, type IdPrefix, MINTED_ID_PATTERN, newId, newNonce } from './ids.js';

describe('the one id generator', () => {
  it('makes <prefix>_<22 base64url characters> for every prefix, matching the contract pattern', () => {
    for (const prefix of Object.keys(ID_PREFIXES) as IdPrefix[]) {
      const id = newId(prefix);
      expect(id).toMatch(new RegExp(`^${prefix}_[A-Za-z0-9_-]{22}$`));
      expect(id).toMatch(MINTED_ID_PATTERN);
      // The claims' id rule (1 to 64 of [A-Za-z0-9_-]) takes every id minted here.
      expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    }
  });

  it('never repeats across more ids than one pool of random bytes holds', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) seen.add(newId('chk'));
    expect(seen.size).toBe(2_000);
  });

  it('refuses a prefix that is not on the list', () => {
    expect(() => newId('xyz' as IdPrefix)).toThrow(/unknown id prefix "xyz"/);
  });

  it("makes nonces of 22 base64url characters that a check's schema accepts", () => {
    const nonces = new Set(Array.from({ length: 500 }, () => newNonce()));
    expect(nonces.size).toBe(500);
    const nonce = [...nonces][0]!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const claims = validateCheckClaims({
      v: 1,
      iat: 1_700_000_000,
      nonce,
      lid: newId('lic'),
      rev: 1,
      sdk: '1.0.0',
      product: { name: 'cms', version: '5.2.0' },
      usage: { credentialsInUse: 0 },
    });
    expect(claims.nonce).toBe(nonce);
  });
});
