// Check records on SQLite beyond the verify service's inserts: the roll-up of raw records older
// than the window into `check_days` (one row per license per UTC day, a column per outcome),
// and daily usage.
//
// A batch is one short SQLite transaction: the oldest `batchSize` raw records (by time, through
// the `checks_by_time` index) are aggregated per license-day by one INSERT … SELECT that adds
// them into the roll-ups, then deleted. A process killed at any point loses the open
// transaction and nothing else, so every check is counted once, as a raw record or in a
// roll-up; a record that arrives late for a day already rolled up is added by a later batch.

import type { CheckOutcome } from '@licensor/token';
import type Database from 'better-sqlite3';
import {
  DAY_MS,
  type DayRollUp,
  dailyUsageOf,
  dayBounds,
  firstKeptDay,
  lastCheckOfRecord,
  lastCheckOfRollUp,
  laterCheck,
} from '../check-days.js';
import type { DailyUsage, DayRange, LastCheck, RollUpOptions, RollUpResult } from '../ports.js';

/** Outcome → its column in check_days. */
const OUTCOME_COLUMNS: Record<CheckOutcome, string> = {
  VALID: 'valid',
  EXPIRED: 'expired',
  SUSPENDED: 'suspended',
  REVOKED: 'revoked',
  UNKNOWN: 'unknown',
};
const OUTCOMES = Object.entries(OUTCOME_COLUMNS) as [CheckOutcome, string][];

/**
 * Aggregates of raw checks per license-day, as check_days columns, over `WHERE <filter>`
 * through the index named (INDEXED BY: a plan without it is an error, not a full scan).
 */
function aggregate(filter: string, index: string): string {
  const counts = OUTCOMES.map(([outcome, column]) => `sum(outcome = '${outcome}') AS ${column}`);
  return `SELECT license_id, day, checks, ${OUTCOMES.map(([, c]) => c).join(', ')},
      usage_min, usage_max,
      (SELECT credentials_in_use FROM checks AS last
        WHERE last.license_id = g.license_id AND last.at = g.last_at
        ORDER BY last.rowid DESC LIMIT 1) AS usage_last,
      last_at,
      (SELECT outcome FROM checks AS last
        WHERE last.license_id = g.license_id AND last.at = g.last_at
        ORDER BY last.rowid DESC LIMIT 1) AS last_outcome
    FROM (SELECT license_id, at / ${DAY_MS} AS day, count(*) AS checks, ${counts.join(', ')},
        min(credentials_in_use) AS usage_min, max(credentials_in_use) AS usage_max,
        max(at) AS last_at
      FROM checks INDEXED BY ${index} WHERE ${filter} GROUP BY license_id, day) AS g`;
}

/** The oldest batch: records up to (at, rowid) = (?, ?) in time order, all before the cutoff. */
const BATCH = 'at <= ? AND (at < ? OR rowid <= ?)';

type RollUpRow = { license_id: string; day: number; checks: number; usage_min: number } & Record<
  string,
  number | string
>;

function rollUpOf(row: RollUpRow): DayRollUp {
  const outcomes: DayRollUp['outcomes'] = {};
  for (const [outcome, column] of OUTCOMES) {
    const count = Number(row[column]);
    if (count > 0) outcomes[outcome] = count;
  }
  return {
    licenseId: row.license_id,
    day: row.day,
    checks: row.checks,
    outcomes,
    usageMin: row.usage_min,
    usageMax: Number(row.usage_max),
    usageLast: Number(row.usage_last),
    lastAt: Number(row.last_at),
    lastOutcome: (row.last_outcome as CheckOutcome | null) ?? null,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SqliteChecks {
  private readonly boundary: Database.Statement;
  private readonly addToRollUps: Database.Statement;
  private readonly deleteBatch: Database.Statement;
  private readonly rollUpsOfLicense: Database.Statement;
  private readonly rawDaysOfLicense: Database.Statement;
  private readonly newestRaw: Database.Statement;
  private readonly newestRollUp: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.boundary = db.prepare(
      'SELECT at, rowid FROM checks WHERE at < ? ORDER BY at, rowid LIMIT 1 OFFSET ?',
    );
    const columns = OUTCOMES.map(([, c]) => c);
    this.addToRollUps = db.prepare(`INSERT INTO check_days
        (license_id, day, checks, ${columns.join(', ')}, usage_min, usage_max, usage_last, last_at,
          last_outcome)
      ${aggregate(BATCH, 'checks_by_time')} WHERE true
      ON CONFLICT (license_id, day) DO UPDATE SET
        checks = checks + excluded.checks,
        ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')},
        usage_min = min(usage_min, excluded.usage_min),
        usage_max = max(usage_max, excluded.usage_max),
        usage_last = CASE WHEN excluded.last_at >= last_at THEN excluded.usage_last ELSE usage_last END,
        last_outcome = CASE WHEN excluded.last_at >= last_at THEN excluded.last_outcome
          ELSE last_outcome END,
        last_at = max(last_at, excluded.last_at)`);
    this.deleteBatch = db.prepare(`DELETE FROM checks WHERE ${BATCH}`);
    this.rollUpsOfLicense = db.prepare(
      'SELECT * FROM check_days WHERE license_id = ? AND day >= ? AND day <= ? ORDER BY day',
    );
    this.rawDaysOfLicense = db.prepare(
      aggregate('license_id = ? AND at >= ? AND at < ?', 'checks_by_license'),
    );
    this.newestRaw = db.prepare(`SELECT license_id, at, credentials_in_use, outcome
      FROM checks INDEXED BY checks_by_license WHERE license_id = ? ORDER BY at DESC LIMIT 1`);
    this.newestRollUp = db.prepare(
      'SELECT * FROM check_days WHERE license_id = ? ORDER BY day DESC LIMIT 1',
    );
  }

  /** The newest raw record or, when the roll-ups hold a later one, the newest roll-up's last. */
  lastCheck(licenseId: string): LastCheck | null {
    const raw = this.newestRaw.get(licenseId) as
      | { license_id: string; at: number; credentials_in_use: number; outcome: CheckOutcome }
      | undefined;
    const rolled = this.newestRollUp.get(licenseId) as RollUpRow | undefined;
    return laterCheck(
      raw === undefined
        ? null
        : lastCheckOfRecord({
            licenseId: raw.license_id,
            at: raw.at,
            credentialsInUse: raw.credentials_in_use,
            outcome: raw.outcome,
          }),
      rolled === undefined ? null : lastCheckOfRollUp(rollUpOf(rolled)),
    );
  }

  /** One batch in one transaction: the number of raw records rolled up and dropped. */
  private batch(cutoff: number, size: number, hook: (() => void) | undefined): number {
    const run = this.db.transaction(() => {
      const last = this.boundary.get(cutoff, size - 1) as { at: number; rowid: number } | undefined;
      // Fewer than `size` left: the batch is every record before the cutoff.
      const bound =
        last === undefined
          ? [cutoff - 1, cutoff - 1, Number.MAX_SAFE_INTEGER]
          : [last.at, last.at, last.rowid];
      this.addToRollUps.run(...bound);
      hook?.();
      return this.deleteBatch.run(...bound).changes;
    });
    return run.immediate();
  }

  async rollUp(options: RollUpOptions): Promise<RollUpResult> {
    const cutoff = firstKeptDay(options.now, options.keepMs) * DAY_MS;
    const size = Math.max(1, options.batchSize ?? 2_000);
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    const result: RollUpResult = { rolledUp: 0, batches: 0, done: false };
    while (result.batches < maxBatches) {
      const rolledUp = this.batch(cutoff, size, options.afterRollUpWrite);
      if (rolledUp === 0) {
        result.done = true;
        break;
      }
      result.batches += 1;
      result.rolledUp += rolledUp;
      if (rolledUp < size) {
        result.done = true;
        break;
      }
      // Between batches the event loop (checks, pages) and other writers get their turn.
      await pause(options.pauseMs ?? 0);
    }
    return result;
  }

  dailyUsage(licenseId: string, range?: DayRange): DailyUsage[] {
    const { from, to } = dayBounds(range);
    const rollUps = this.rollUpsOfLicense.all(licenseId, from, to) as RollUpRow[];
    const toAt =
      to >= Number.MAX_SAFE_INTEGER / DAY_MS ? Number.MAX_SAFE_INTEGER : (to + 1) * DAY_MS;
    const raw = this.rawDaysOfLicense.all(licenseId, from * DAY_MS, toAt) as RollUpRow[];
    return dailyUsageOf([...rollUps, ...raw].map(rollUpOf));
  }
}
