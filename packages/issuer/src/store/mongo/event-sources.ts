// The event sources on MongoDB: the check failures the verify service records (an insert per
// fact by its fixed id, never an update by two writers), and the reads of the check records
// that usage.near-cap and check.stopped are found in.

import { type Connection, type Model, Schema } from 'mongoose';
import type { CheckRecord } from '../../records.js';
import type {
  CheckFailure,
  EventSourceStore,
  QuietInstallation,
  QuietInstallationKey,
} from '../event-sources-port.js';
import { isDuplicateKey } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

/** Code-unit order, as SQLite compares text: the same keyset order on both stores. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type Doc = Record<string, unknown>;
type Run = <T>(operation: () => Promise<T>) => Promise<T>;

const checkFailure = new Schema(
  {
    _id: { type: String, required: true },
    at: { type: Number, required: true },
    licenseId: { type: String, required: true },
    installationId: { type: String, required: true },
    reason: { type: String, required: true },
    converted: { type: Boolean, required: true },
  },
  { versionKey: false, autoIndex: false, strict: true, collection: 'check_failures' },
);
checkFailure.index({ converted: 1, at: 1 });

export function checkFailureModelOf(connection: Connection): Model<Doc> {
  return connection.model<Doc>('CheckFailure', checkFailure);
}

/** The verify service's write: inserts by fixed id; a fact already there is left alone. */
export async function insertCheckFailures(
  model: Model<Doc>,
  failures: CheckFailure[],
): Promise<void> {
  if (failures.length === 0) return;
  const documents = failures.map(({ id, ...rest }) => ({ _id: id, ...rest, converted: false }));
  try {
    await model.insertMany(documents, { ordered: false });
  } catch (error) {
    const writeErrors = (error as { writeErrors?: unknown[] }).writeErrors;
    if (isDuplicateKey(error)) return;
    if (!Array.isArray(writeErrors) || !writeErrors.every((e) => isDuplicateKey(e))) throw error;
  }
}

function failureOf(document: Doc): CheckFailure {
  return {
    id: document._id as string,
    at: document.at as number,
    licenseId: document.licenseId as string,
    installationId: document.installationId as string,
    reason: document.reason as string,
  };
}

function checkOf(document: Doc): CheckRecord {
  const { _id, ...rest } = document;
  return { id: _id, ...rest } as CheckRecord;
}

export class MongoEventSources implements EventSourceStore {
  private constructor(
    private readonly failures: Model<Doc>,
    private readonly checks: MongoModels['checks'],
    private readonly run: Run,
  ) {}

  static async open(
    connection: Connection,
    checks: MongoModels['checks'],
    run: Run,
    prepare: boolean,
  ): Promise<MongoEventSources> {
    const failures = checkFailureModelOf(connection);
    if (prepare) {
      await failures.createCollection().catch(() => undefined);
      await failures.createIndexes();
    }
    return new MongoEventSources(failures, checks, run);
  }

  record(failures: CheckFailure[]): Promise<void> {
    return this.run(() => insertCheckFailures(this.failures, failures));
  }

  listUnconvertedCheckFailures(limit: number): Promise<CheckFailure[]> {
    return this.run(async () => {
      const documents = (await this.failures
        .find({ converted: false })
        .sort({ at: 1, _id: 1 })
        .limit(limit)
        .lean()) as Doc[];
      return documents.map(failureOf);
    });
  }

  markCheckFailuresConverted(ids: string[]): Promise<void> {
    return this.run(async () => {
      if (ids.length === 0) return;
      // Only ever set to true: two processes doing it at once write the same thing.
      await this.failures.updateMany({ _id: { $in: ids } }, { $set: { converted: true } });
    });
  }

  listChecksAfter(
    after: { at: number; id: string } | null,
    before: number,
    limit: number,
  ): Promise<CheckRecord[]> {
    return this.run(async () => {
      const range =
        after === null
          ? { at: { $lt: before } }
          : {
              at: { $gte: after.at, $lt: before },
              $or: [{ at: { $gt: after.at } }, { _id: { $gt: after.id } }],
            };
      const documents = (await this.checks
        .find(range)
        .sort({ at: 1, _id: 1 })
        .limit(limit)
        .lean()) as Doc[];
      return documents.map(checkOf);
    });
  }

  previousCheck(
    licenseId: string,
    before: { at: number; id: string },
  ): Promise<CheckRecord | null> {
    return this.run(async () => {
      const documents = (await this.checks
        .find({
          licenseId,
          at: { $lte: before.at },
          $or: [{ at: { $lt: before.at } }, { _id: { $lt: before.id } }],
        })
        .sort({ at: -1, _id: -1 })
        .limit(1)
        .lean()) as Doc[];
      return documents.length === 0 ? null : checkOf(documents[0]!);
    });
  }

  listQuietInstallations(
    from: number,
    quietSince: number,
    minChecks: number,
    limit: number,
    after: QuietInstallationKey | null = null,
  ): Promise<QuietInstallation[]> {
    return this.run(async () => {
      // Grouped here, not by $group: FerretDB implements no $max accumulator. One pass over
      // the window's checks in time order (the `at` index), keeping one entry per installation.
      const seen = new Map<string, QuietInstallation>();
      const cursor = this.checks
        .find({ at: { $gte: from } }, { _id: 0, licenseId: 1, installationId: 1, at: 1 })
        .sort({ at: 1 })
        .lean()
        .cursor();
      for await (const document of cursor) {
        const { licenseId, installationId, at } = document as unknown as CheckRecord;
        const key = `${licenseId}\u0000${installationId}`;
        const entry = seen.get(key);
        if (entry === undefined)
          seen.set(key, { licenseId, installationId, lastAt: at, checks: 1 });
        else {
          entry.lastAt = Math.max(entry.lastAt, at);
          entry.checks += 1;
        }
      }
      const order = (a: QuietInstallationKey, b: QuietInstallationKey) =>
        a.lastAt - b.lastAt ||
        compare(a.licenseId, b.licenseId) ||
        compare(a.installationId, b.installationId);
      return [...seen.values()]
        .filter((q) => q.lastAt < quietSince && q.checks >= minChecks)
        .filter((q) => after === null || order(q, after) > 0)
        .sort(order)
        .slice(0, limit);
    });
  }
}
