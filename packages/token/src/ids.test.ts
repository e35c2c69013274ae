import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateCheckClaims } from './claims/check.js';
import {
  ID_PREFIXES,
  ID_TIME_BYTES,
  type IdPrefix,
  MINTED_ID_PATTERN,
  newId,
  newNonce,
} from './ids.js';

/** The 16 bytes behind an id's 22 characters. */
const bytesOf = (id: string) => Buffer.from(id.slice(id.indexOf('_') + 1), 'base64url');
const timeOf = (id: string) => bytesOf(id).readUIntBE(0, ID_TIME_BYTES);

describe('the one id generator', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

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

  it('starts each id with its creation time in milliseconds, then 80 random bits', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-30T15:45:00.123Z'));
    const first = newId('lic');
    const second = newId('lic');
    vi.setSystemTime(new Date('2031-01-01T00:00:00.000Z'));
    const later = newId('txn');
    expect(bytesOf(first)).toHaveLength(16);
    expect(timeOf(first)).toBe(Date.parse('2026-11-30T15:45:00.123Z'));
    expect(timeOf(later)).toBe(Date.parse('2031-01-01T00:00:00.000Z'));
    // Made in the same millisecond: the same first 8 characters (48 bits), different random part.
    expect(second.slice(0, 12)).toBe(first.slice(0, 12));
    expect(bytesOf(second).subarray(ID_TIME_BYTES)).not.toEqual(
      bytesOf(first).subarray(ID_TIME_BYTES),
    );
  });

  it('keeps nonces wholly random: no clock in them', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-30T15:45:00.123Z'));
    const prefixes = new Set(Array.from({ length: 50 }, () => newNonce().slice(0, 8)));
    expect(prefixes.size).toBe(50);
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
