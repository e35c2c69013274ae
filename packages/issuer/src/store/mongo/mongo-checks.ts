// Check records on MongoDB beyond the verify service's inserts: the roll-up of raw records older
// than the window into `check_days` (one document per license per UTC day, id `licenseId day`),
// and daily usage.
//
// Without multi-document transactions, a roll-up is written once, whole: a batch picks the
// licenses of the oldest raw records, reads all their raw records of those days, inserts the
// roll-up of each license-day that has none yet, and only then deletes those raw records. A job
// stopped between the two leaves raw records of a day that has its roll-up: they are counted
// there already, so reads ignore them and the next batch deletes them. Every check is counted
// once. (The cost: a record written more than the window late, for a day already rolled up, is
// dropped uncounted; the verify service writes records within seconds.)

import type { CheckOutcome } from '@licensor/token';
import {
  addChecks,
  DAY_MS,
  type DayRollUp,
  dailyUsageOf,
  dayBounds,
  dayOf,
  firstKeptDay,
  lastCheckOfRecord,
  lastCheckOfRollUp,
  laterCheck,
} from '../check-days.js';
import type { DailyUsage, DayRange, LastCheck, RollUpOptions, RollUpResult } from '../ports.js';
import { onlyDuplicateKeys } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

interface RawDocument {
  licenseId: string;
  at: number;
  credentialsInUse: number;
  outcome: CheckOutcome;
}

const RAW_FIELDS = { _id: 0, licenseId: 1, at: 1, credentialsInUse: 1, outcome: 1 } as const;

const idOf = (licenseId: string, day: number) => `${licenseId} ${day}`;

function rollUpOf(document: Record<string, unknown>): DayRollUp {
  const { _id, ...rest } = document;
  // Roll-ups written before the last outcome was kept have none.
  return { lastOutcome: null, ...rest } as unknown as DayRollUp;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MongoChecks {
  constructor(private readonly models: MongoModels) {}

  /** One batch: the number of raw records it read to pick licenses, rolled up and dropped. */
  private async batch(
    cutoff: number,
    size: number,
    hook: (() => void) | undefined,
  ): Promise<{ picked: number; rolledUp: number }> {
    const { checks, checkDays } = this.models;
    const oldest = (await checks
      .find({ at: { $lt: cutoff } }, RAW_FIELDS)
      .sort({ at: 1 })
      .limit(size)
      .lean()) as unknown as RawDocument[];
    if (oldest.length === 0) return { picked: 0, rolledUp: 0 };
    const licenseIds = [...new Set(oldest.map((r) => r.licenseId))];
    // Whole days of those licenses: from the first record's day through the last one's.
    const span = {
      $gte: dayOf(oldest[0]!.at) * DAY_MS,
      $lt: (dayOf(oldest[oldest.length - 1]!.at) + 1) * DAY_MS,
    };
    const filter = { licenseId: { $in: licenseIds }, at: span };
    const raw = (await checks.find(filter, RAW_FIELDS).lean()) as unknown as RawDocument[];
    const rollUps = new Map<string, DayRollUp>();
    addChecks(rollUps, raw);
    const ids = [...rollUps.values()].map((r) => idOf(r.licenseId, r.day));
    const held = new Set(
      (await checkDays.find({ _id: { $in: ids } }, { _id: 1 }).lean()).map((d) => String(d._id)),
    );
    const fresh = [...rollUps.values()]
      .filter((r) => !held.has(idOf(r.licenseId, r.day)))
      .map((r) => ({ _id: idOf(r.licenseId, r.day), ...r }));
    if (fresh.length > 0) {
      try {
        await checkDays.insertMany(fresh, { ordered: false });
      } catch (error) {
        // Another job wrote some of these days first, from the same raw records.
        if (!onlyDuplicateKeys(error)) throw error;
      }
    }
    hook?.();
    await checks.deleteMany(filter);
    return { picked: oldest.length, rolledUp: raw.length };
  }

  async rollUp(options: RollUpOptions): Promise<RollUpResult> {
    const cutoff = firstKeptDay(options.now, options.keepMs) * DAY_MS;
    const size = Math.max(1, options.batchSize ?? 2_000);
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    const result: RollUpResult = { rolledUp: 0, batches: 0, done: false };
    while (result.batches < maxBatches) {
      const { picked, rolledUp } = await this.batch(cutoff, size, options.afterRollUpWrite);
      if (picked === 0) {
        result.done = true;
        break;
      }
      result.batches += 1;
      result.rolledUp += rolledUp;
      if (picked < size) {
        result.done = true;
        break;
      }
      await pause(options.pauseMs ?? 0);
    }
    return result;
  }

  /** The newest raw record or, when the roll-ups hold a later one, the newest roll-up's last. */
  async lastCheck(licenseId: string): Promise<LastCheck | null> {
    const [raw, rolled] = await Promise.all([
      this.models.checks.findOne({ licenseId }, RAW_FIELDS).sort({ at: -1 }).lean(),
      this.models.checkDays.findOne({ licenseId }).sort({ day: -1 }).lean(),
    ]);
    return laterCheck(
      raw === null ? null : lastCheckOfRecord(raw as unknown as RawDocument),
      rolled === null ? null : lastCheckOfRollUp(rollUpOf(rolled as Record<string, unknown>)),
    );
  }

  async dailyUsage(licenseId: string, range?: DayRange): Promise<DailyUsage[]> {
    const { from, to } = dayBounds(range);
    const rollUps = (
      await this.models.checkDays
        .find({ licenseId, day: { $gte: from, $lte: to } })
        .sort({ day: 1 })
        .lean()
    ).map((d) => rollUpOf(d as Record<string, unknown>));
    const rolled = new Set(rollUps.map((r) => r.day));
    const toAt =
      to >= Number.MAX_SAFE_INTEGER / DAY_MS ? Number.MAX_SAFE_INTEGER : (to + 1) * DAY_MS;
    const raw = (await this.models.checks
      .find({ licenseId, at: { $gte: from * DAY_MS, $lt: toAt } }, RAW_FIELDS)
      .lean()) as unknown as RawDocument[];
    // Raw records of a rolled-up day are counted in its roll-up (a job stopped half-way).
    const fromRaw = new Map<string, DayRollUp>();
    addChecks(
      fromRaw,
      raw.filter((r) => !rolled.has(dayOf(r.at))),
    );
    return dailyUsageOf([...rollUps, ...fromRaw.values()]);
  }
}
