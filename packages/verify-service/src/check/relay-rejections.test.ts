// Which declined requests a status relays, and the reason as a status may carry it.
import { MAX_REJECTION_REASON_LENGTH, validateStatusClaims } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import type { CheckView } from '../store-port.js';
import { oneLine, rejectionsToRelay } from './relay-rejections.js';

const hash = (n: number) => Buffer.alloc(32, n).toString('base64url');
const NOW = 1_800_000_000;

const view = (rejected: NonNullable<CheckView['rejected']>): CheckView => ({
  licenseId: 'lic_1',
  state: 'active',
  model: 'perpetual',
  revision: 1,
  term: null,
  installationId: 'inst',
  installationKey: null,
  latestToken: null,
  rejected,
});

const declined = (n: number, patch: Partial<NonNullable<CheckView['rejected']>[number]> = {}) => ({
  installationId: 'inst',
  challengeHash: hash(n),
  expiresAt: NOW + 3_600,
  decidedAt: (NOW - n) * 1000 + 999,
  reason: `reason ${n}`,
  ...patch,
});

describe('rejectionsToRelay', () => {
  it("relays the installation's own unexpired declined requests, newest first, at most four", () => {
    const relayed = rejectionsToRelay(
      view([
        declined(1),
        declined(2, { installationId: 'other' }), // a rehost asked by another installation
        declined(3, { expiresAt: NOW }), // its challenge has expired: nothing is pending for it
        declined(4),
        declined(5),
        declined(6),
        declined(7),
      ]),
      'inst',
      NOW,
    );
    expect(relayed.map((r) => r.chal)).toEqual([hash(1), hash(4), hash(5), hash(6)]);
    expect(relayed[0]).toEqual({ chal: hash(1), at: NOW - 1, reason: 'reason 1' });
  });

  it('relays nothing for a view without declined requests', () => {
    const { rejected: _none, ...bare } = view([]);
    expect(rejectionsToRelay(bare, 'inst', NOW)).toEqual([]);
  });
});

describe('oneLine', () => {
  it('flattens line breaks and controls and drops an empty reason', () => {
    expect(oneLine('not\r\nthis\tquarter ')).toBe('not this quarter');
    expect(oneLine(' \n ')).toBeNull();
    expect(oneLine(null)).toBeNull();
  });

  it('cuts a long reason to what a status may carry, never inside a surrogate pair', () => {
    const long = `${'a'.repeat(MAX_REJECTION_REASON_LENGTH - 2)}😀😀😀`;
    const cut = oneLine(long)!;
    expect(cut.length).toBeLessThanOrEqual(MAX_REJECTION_REASON_LENGTH);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff]…$/);
    // Whatever the vendor typed, the status schema takes the relayed reason.
    for (const reason of [long, 'x'.repeat(1000), '\u2028a\u0085b\ud800c', ' ok ']) {
      expect(() =>
        validateStatusClaims({
          v: 2,
          iat: NOW,
          nonce: 'A'.repeat(22),
          lid: 'lic_1',
          sub: hash(9),
          outcome: 'VALID',
          rev: 1,
          termEnd: null,
          checkBy: NOW + 1,
          license: null,
          rejected: [{ chal: hash(1), at: NOW, reason: oneLine(reason) }],
        }),
      ).not.toThrow();
    }
  });
});
