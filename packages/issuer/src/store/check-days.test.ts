import { describe, expect, it } from 'vitest';
import { type DayRollUp, lastCheckOfRollUp, laterCheck } from './check-days.js';

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
