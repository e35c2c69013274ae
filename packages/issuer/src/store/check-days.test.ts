import { describe, expect, it } from 'vitest';
import { type DayRollUp, dayBounds, lastCheckOfRollUp, laterCheck } from './check-days.js';

const rollUp = (patch: Partial<DayRollUp>): DayRollUp => ({
  licenseId: 'lic_a',
  day: 20_000,
  checks: 3,
  outcomes: { VALID: 2, EXPIRED: 1 },
  usageMin: 1,
  usageMax: 9,
  usageLast: 4,
  lastAt: 20_000 * 86_400_000 + 5,
  lastOutcome: 'EXPIRED',
  ...patch,
});

describe("a roll-up's last check", () => {
  it('names the outcome the roll-up kept', () => {
    expect(lastCheckOfRollUp(rollUp({}))).toEqual({
      at: 20_000 * 86_400_000 + 5,
      outcome: 'EXPIRED',
      credentialsInUse: 4,
      source: 'roll-up',
    });
  });

  it('of a roll-up written before outcomes were kept: the outcome when the day had one, else null', () => {
    expect(
      lastCheckOfRollUp(rollUp({ lastOutcome: null, outcomes: { SUSPENDED: 3 } })).outcome,
    ).toBe('SUSPENDED');
    expect(lastCheckOfRollUp(rollUp({ lastOutcome: null })).outcome).toBeNull();
  });

  it('the later of two wins; none is null', () => {
    const early = lastCheckOfRollUp(rollUp({ lastAt: 1 }));
    const late = lastCheckOfRollUp(rollUp({ lastAt: 2 }));
    expect(laterCheck(early, late)).toBe(late);
    expect(laterCheck(late, early)).toBe(late);
    expect(laterCheck(null, early)).toBe(early);
    expect(laterCheck(null, null)).toBeNull();
  });
});

describe('a day range', () => {
  it('reads real UTC days, leap days included, as day numbers', () => {
    expect(dayBounds({ from: '1970-01-02', to: '2028-02-29' })).toEqual({
      from: 1,
      to: Date.UTC(2028, 1, 29) / 86_400_000,
    });
    expect(dayBounds({})).toEqual({ from: 0, to: Number.MAX_SAFE_INTEGER });
  });

  it.each([
    ['to', '9999-99-99'],
    ['from', '2026-13-01'],
    ['to', '2026-00-10'],
    ['from', '2026-02-31'],
    ['to', '2026-02-29'],
    ['from', '28.11.2026'],
  ])('refuses %s %s, a day no calendar has, as invalid input naming the field', (field, day) => {
    expect(() => dayBounds({ [field]: day })).toThrow(
      expect.objectContaining({
        code: 'ERR_INPUT_INVALID',
        field,
        message: expect.stringContaining('YYYY-MM-DD'),
      }),
    );
  });
});
