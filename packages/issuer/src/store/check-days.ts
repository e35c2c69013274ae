// Check records per license per UTC day, computed the same way by both adapters: the roll-up
// kept after raw records are dropped, and the daily usage the portal's charts read.

import type { CheckOutcome } from '@licensor/token';
import { InputInvalidError } from '../errors.js';
import type { CheckRecord } from '../records.js';
import type { DailyUsage, DayRange, LastCheck } from './ports.js';

export const DAY_MS = 86_400_000;

/** The UTC day number of a time (ms): days since 1970-01-01. */
export function dayOf(at: number): number {
  return Math.floor(at / DAY_MS);
}

export function dayName(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** A real UTC day (YYYY-MM-DD, a day the calendar has) as its day number; else InputInvalidError. */
function dayNumber(field: 'from' | 'to', name: string): number {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(name) ? Date.parse(`${name}T00:00:00Z`) : Number.NaN;
  // Date.parse takes 2026-02-31 as 2026-03-03: only a day that reads back the same is real.
  if (Number.isNaN(at) || dayName(dayOf(at)) !== name) {
    throw new InputInvalidError(field, `must be a real UTC day, YYYY-MM-DD, not "${name}"`);
  }
  return dayOf(at);
}

/** The range as day numbers, both ends included. */
export function dayBounds(range: DayRange = {}): { from: number; to: number } {
  return {
    from: range.from === undefined ? 0 : dayNumber('from', range.from),
    to: range.to === undefined ? Number.MAX_SAFE_INTEGER : dayNumber('to', range.to),
  };
}

/** The first UTC day whose raw records are still kept: earlier days are rolled up. */
export function firstKeptDay(now: number, keepMs: number): number {
  return dayOf(now - keepMs);
}

/** One license-day as stored: the fields of DailyUsage with the day as a number. */
export interface DayRollUp {
  licenseId: string;
  day: number;
  checks: number;
  outcomes: Partial<Record<CheckOutcome, number>>;
  usageMin: number;
  usageMax: number;
  usageLast: number;
  lastAt: number;
  /** Outcome of the day's last check; null in roll-ups written before it was kept (schema 10). */
  lastOutcome: CheckOutcome | null;
}

type RawCheck = Pick<CheckRecord, 'licenseId' | 'at' | 'credentialsInUse' | 'outcome'>;

/** Adds raw checks into roll-ups (keyed `licenseId day`), creating them as needed. */
export function addChecks(into: Map<string, DayRollUp>, checks: Iterable<RawCheck>): void {
  for (const check of checks) {
    const day = dayOf(check.at);
    const key = `${check.licenseId} ${day}`;
    const rollUp = into.get(key);
    if (rollUp === undefined) {
      into.set(key, {
        licenseId: check.licenseId,
        day,
        checks: 1,
        outcomes: { [check.outcome]: 1 },
        usageMin: check.credentialsInUse,
        usageMax: check.credentialsInUse,
        usageLast: check.credentialsInUse,
        lastAt: check.at,
        lastOutcome: check.outcome,
      });
      continue;
    }
    rollUp.checks += 1;
    rollUp.outcomes[check.outcome] = (rollUp.outcomes[check.outcome] ?? 0) + 1;
    rollUp.usageMin = Math.min(rollUp.usageMin, check.credentialsInUse);
    rollUp.usageMax = Math.max(rollUp.usageMax, check.credentialsInUse);
    if (check.at >= rollUp.lastAt) {
      rollUp.lastAt = check.at;
      rollUp.usageLast = check.credentialsInUse;
      rollUp.lastOutcome = check.outcome;
    }
  }
}

/** Two roll-ups of the same license-day as one. */
export function mergeRollUps(a: DayRollUp, b: DayRollUp): DayRollUp {
  const outcomes = { ...a.outcomes };
  for (const [outcome, count] of Object.entries(b.outcomes) as [CheckOutcome, number][]) {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
  }
  const later = b.lastAt >= a.lastAt ? b : a;
  return {
    licenseId: a.licenseId,
    day: a.day,
    checks: a.checks + b.checks,
    outcomes,
    usageMin: Math.min(a.usageMin, b.usageMin),
    usageMax: Math.max(a.usageMax, b.usageMax),
    usageLast: later.usageLast,
    lastAt: later.lastAt,
    lastOutcome: later.lastOutcome,
  };
}

export function usageOf(rollUp: DayRollUp): DailyUsage {
  return {
    day: dayName(rollUp.day),
    checks: rollUp.checks,
    outcomes: rollUp.outcomes,
    usageMin: rollUp.usageMin,
    usageMax: rollUp.usageMax,
    usageLast: rollUp.usageLast,
    lastAt: rollUp.lastAt,
  };
}

/** Roll-ups of one license merged per day, oldest first, as daily usage. */
export function dailyUsageOf(rollUps: Iterable<DayRollUp>): DailyUsage[] {
  const byDay = new Map<number, DayRollUp>();
  for (const rollUp of rollUps) {
    const held = byDay.get(rollUp.day);
    byDay.set(rollUp.day, held === undefined ? rollUp : mergeRollUps(held, rollUp));
  }
  return [...byDay.values()].sort((a, b) => a.day - b.day).map(usageOf);
}

/**
 * A license's last check as a roll-up keeps it: its time, usage and outcome. A roll-up written
 * before the outcome was kept names it only when the day had one outcome.
 */
export function lastCheckOfRollUp(rollUp: DayRollUp): LastCheck {
  let outcome = rollUp.lastOutcome ?? null;
  if (outcome === null) {
    const seen = Object.keys(rollUp.outcomes) as CheckOutcome[];
    if (seen.length === 1) outcome = seen[0]!;
  }
  return {
    at: rollUp.lastAt,
    outcome,
    credentialsInUse: rollUp.usageLast,
    source: 'roll-up',
  };
}

export function lastCheckOfRecord(record: RawCheck): LastCheck {
  return {
    at: record.at,
    outcome: record.outcome,
    credentialsInUse: record.credentialsInUse,
    source: 'raw',
  };
}

/** The later of a license's newest raw record and newest roll-up. */
export function laterCheck(a: LastCheck | null, b: LastCheck | null): LastCheck | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.at > a.at ? b : a;
}
