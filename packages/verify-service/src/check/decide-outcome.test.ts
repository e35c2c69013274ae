// The outcome rules: precedence of revoked, suspended and expired; when to check again; which
// token to hand over.
import { describe, expect, it } from 'vitest';
import type { CheckView } from '../store-port.js';
import { decideCheckBy, decideOutcome, tokenToRelay } from './decide-outcome.js';

const base: CheckView = {
  licenseId: 'lic_1',
  state: 'active',
  model: 'subscription',
  revision: 2,
  term: { start: 0, end: 1_000, grace: 100 },
  installationId: 'inst',
  installationKey: null,
  latestToken: 'token-rev-2',
};

describe('decideOutcome', () => {
  it('is VALID before the term end and EXPIRED from it on, grace or not', () => {
    expect(decideOutcome(base, 999)).toBe('VALID');
    expect(decideOutcome(base, 1_000)).toBe('EXPIRED');
    expect(decideOutcome(base, 1_050)).toBe('EXPIRED');
  });

  it('never expires a perpetual license', () => {
    expect(decideOutcome({ ...base, model: 'perpetual', term: null }, 10 ** 10)).toBe('VALID');
  });

  it('puts REVOKED over SUSPENDED over EXPIRED', () => {
    expect(decideOutcome({ ...base, state: 'revoked' }, 5_000)).toBe('REVOKED');
    expect(decideOutcome({ ...base, state: 'suspended' }, 5_000)).toBe('SUSPENDED');
  });
});

describe('decideCheckBy', () => {
  it('is the interval from now, or the term end when that comes first', () => {
    expect(decideCheckBy(null, 100, 86_400)).toBe(86_500);
    expect(decideCheckBy(500, 100, 86_400)).toBe(500);
    expect(decideCheckBy(50, 100, 86_400)).toBe(86_500);
  });
});

describe('tokenToRelay', () => {
  it('relays the newest token only when it is newer than the one in force', () => {
    expect(tokenToRelay(base, 'VALID', 1)).toBe('token-rev-2');
    expect(tokenToRelay(base, 'VALID', 2)).toBeNull();
    expect(tokenToRelay(base, 'EXPIRED', 1)).toBe('token-rev-2');
  });

  it('relays nothing for a revoked license', () => {
    expect(tokenToRelay(base, 'REVOKED', 1)).toBeNull();
  });
});
