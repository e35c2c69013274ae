// What the Signing keys page counts, on MongoDB (key-usage-port.ts): tokens signed per key
// through each transaction's `kid` (indexed with the license id; transactions written without
// one get it from their token's header when the issuer opens the store), and the key set
// version each installation last reported (`installation_keysets`, one document per
// installation), and the highest license revision each installation reported holding
// (`held_revisions`, one document per license and installation, read by its _id when a key is
// revoked). The back-fill runs once per store (`store_markers`); so does the marker of when the
// store began recording revisions. A report is an insert, or an update conditioned on the report it replaces, so
// two writers never race on one document unseen (FerretDB loses concurrent updates).

import { type Connection, type Model, Schema } from 'mongoose';
import { kidOfToken } from '../../keys/token-kid.js';
import {
  heldRevisionKey,
  highestRevisions,
  type KeySignedCount,
  type KeysetReport,
  type KeysetTrustCount,
  type KeyUsageStore,
  newestReports,
  type RevisionReport,
} from '../key-usage-port.js';
import { isDuplicateKey } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

type Doc = Record<string, unknown>;
type Run = <T>(operation: () => Promise<T>) => Promise<T>;

const installationKeyset = new Schema(
  {
    _id: { type: String, required: true },
    keyset: { type: Number, required: true, min: 0 },
    reportedAt: { type: Number, required: true },
    source: { type: String, required: true, enum: ['check', 'challenge'] },
  },
  { versionKey: false, autoIndex: false, strict: true, collection: 'installation_keysets' },
);
installationKeyset.index({ keyset: 1 });

/**
 * `_id`: the license and the installation (heldRevisionKey). Read for a batch at once; a higher
 * revision is written by an upsert conditioned on a lower one: a document another writer raised
 * meanwhile to that revision or higher refuses it (the insert the upsert then tries is a
 * duplicate key), so it only ever goes up, whichever writer comes first.
 */
const heldRevision = new Schema(
  {
    _id: { type: String, required: true },
    licenseId: { type: String, required: true },
    installationId: { type: String, required: true },
    revision: { type: Number, required: true, min: 0 },
    reportedAt: { type: Number, required: true },
  },
  { versionKey: false, autoIndex: false, strict: true, collection: 'held_revisions' },
);

/**
 * Done once per store: the back-fill of `kid` ran (every transaction written since carries its
 * kid), so later opens skip the search for transactions without one.
 */
const storeMarker = new Schema(
  { _id: { type: String, required: true }, at: { type: Number, required: true } },
  { versionKey: false, autoIndex: false, strict: true, collection: 'store_markers' },
);
const KID_BACKFILLED = 'transactions.kid';
/** Revision reports are recorded from this marker's time on (the upgrade, or the store's creation). */
const HELD_REVISIONS = 'held_revisions';

/** The index that counts the tokens of a key without reading a transaction. */
const KID_INDEX = { key: { kid: 1, licenseId: 1 }, name: 'kid_1_licenseId_1' } as const;

export class MongoKeyUsage implements KeyUsageStore {
  static async open(
    connection: Connection,
    models: MongoModels,
    run: Run,
    prepare = true,
  ): Promise<MongoKeyUsage> {
    const model = connection.model<Doc>('InstallationKeyset', installationKeyset);
    const revisions = connection.model<Doc>('HeldRevision', heldRevision);
    const markers = connection.model<Doc>('StoreMarker', storeMarker);
    const usage = new MongoKeyUsage(model, revisions, markers, models, run);
    const mark = (name: string) =>
      markers.create({ _id: name, at: Date.now() }).catch((error: unknown) => {
        if (!isDuplicateKey(error)) throw error;
      });
    if (prepare) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
      await revisions.createCollection().catch(() => undefined);
      await models.transactions.collection.createIndex(KID_INDEX.key, { name: KID_INDEX.name });
      if ((await markers.findById(KID_BACKFILLED).lean()) === null) {
        await usage.backfillTransactionKids();
        await mark(KID_BACKFILLED);
      }
      // Once: the first open by a Licensor that records revisions (a duplicate is a no-op).
      if ((await markers.findById(HELD_REVISIONS).lean()) === null) await mark(HELD_REVISIONS);
    }
    return usage;
  }

  private constructor(
    private readonly reports: Model<Doc>,
    private readonly revisions: Model<Doc>,
    private readonly markers: Model<Doc>,
    private readonly models: MongoModels,
    private readonly run: Run,
  ) {}

  /** Transactions that sign a token but have no `kid`: read from the token's header. */
  async backfillTransactionKids(): Promise<number> {
    const missing = await this.models.transactions
      .find({ kid: null, token: { $ne: null } }, { _id: 1, token: 1 })
      .lean();
    let filled = 0;
    for (const document of missing) {
      const kid = kidOfToken((document as Doc).token as string);
      if (kid === null) continue;
      await this.models.transactions.updateOne({ _id: document._id, kid: null }, { $set: { kid } });
      filled++;
    }
    return filled;
  }

  recordKeysetReports(reports: readonly KeysetReport[]): Promise<number> {
    return this.run(async () => {
      const newest = newestReports(reports);
      if (newest.length === 0) return 0;
      const versions = [...new Set(newest.map((r) => r.keyset).filter((v) => v > 0))];
      const published = new Set<number>(
        versions.length === 0
          ? []
          : (await this.models.keysets.find({ _id: { $in: versions } }, { _id: 1 }).lean()).map(
              (d) => d._id as number,
            ),
      );
      const held = new Map(
        (await this.reports.find({ _id: { $in: newest.map((r) => r.installationId) } }).lean()).map(
          (d) => [d._id as string, d as Doc],
        ),
      );
      let recorded = 0;
      for (const report of newest) {
        if (report.keyset !== 0 && !published.has(report.keyset)) continue;
        const fields = { keyset: report.keyset, reportedAt: report.at, source: report.source };
        const before = held.get(report.installationId);
        if (before === undefined) {
          try {
            await this.reports.create({ _id: report.installationId, ...fields });
            recorded++;
          } catch (error) {
            // Another writer recorded this installation meanwhile: its report stands.
            if (!isDuplicateKey(error)) throw error;
          }
          continue;
        }
        if (before.keyset === report.keyset || (before.reportedAt as number) > report.at) continue;
        const { modifiedCount } = await this.reports.updateOne(
          { _id: report.installationId, reportedAt: before.reportedAt, keyset: before.keyset },
          { $set: fields },
        );
        recorded += modifiedCount;
      }
      return recorded;
    });
  }

  getKeysetReport(installationId: string): Promise<KeysetReport | null> {
    return this.run(async () => {
      const d = (await this.reports.findById(installationId).lean()) as Doc | null;
      if (d === null) return null;
      return {
        installationId,
        keyset: d.keyset as number,
        at: d.reportedAt as number,
        source: d.source as KeysetReport['source'],
      };
    });
  }

  recordRevisionReports(reports: readonly RevisionReport[]): Promise<number> {
    return this.run(async () => {
      const highest = highestRevisions(reports);
      if (highest.length === 0) return 0;
      // One read for the batch: most checks report the revision on record, and write nothing.
      const ids = highest.map((r) => heldRevisionKey(r.licenseId, r.installationId));
      const held = new Map(
        (await this.revisions.find({ _id: { $in: ids } }, { revision: 1 }).lean()).map((d) => [
          d._id as string,
          (d as Doc).revision as number,
        ]),
      );
      let recorded = 0;
      for (const report of highest) {
        const _id = heldRevisionKey(report.licenseId, report.installationId);
        const before = held.get(_id);
        if (before !== undefined && before >= report.revision) continue;
        try {
          const { upsertedCount, modifiedCount } = await this.revisions.updateOne(
            { _id, revision: { $lt: report.revision } },
            {
              $set: {
                licenseId: report.licenseId,
                installationId: report.installationId,
                revision: report.revision,
                reportedAt: report.at,
              },
            },
            { upsert: true },
          );
          recorded += upsertedCount + modifiedCount;
        } catch (error) {
          // On record at this revision or higher: the upsert's insert is a duplicate _id.
          if (!isDuplicateKey(error)) throw error;
        }
      }
      return recorded;
    });
  }

  getHeldRevision(licenseId: string, installationId: string): Promise<RevisionReport | null> {
    return this.run(async () => {
      const d = (await this.revisions
        .findById(heldRevisionKey(licenseId, installationId))
        .lean()) as Doc | null;
      if (d === null) return null;
      return {
        licenseId,
        installationId,
        revision: d.revision as number,
        at: d.reportedAt as number,
      };
    });
  }

  revisionReportsSince(): Promise<number | null> {
    return this.run(async () => {
      const d = (await this.markers.findById(HELD_REVISIONS).lean()) as Doc | null;
      return d === null ? null : (d.at as number);
    });
  }

  countInstallationsByKeyset(): Promise<KeysetTrustCount[]> {
    return this.run(async () => {
      const groups = await this.reports.aggregate<{ _id: number; installations: number }>([
        { $group: { _id: '$keyset', installations: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ]);
      return groups.map((g) => ({ keyset: g._id, installations: g.installations }));
    });
  }

  countSignedByKeys(kids: readonly string[]): Promise<KeySignedCount[]> {
    return this.run(() =>
      Promise.all(
        kids.map(async (kid) => {
          const [tokens, licenses] = await Promise.all([
            this.models.transactions.countDocuments({ kid }),
            this.models.transactions.aggregate<{ n: number }>([
              { $match: { kid } },
              { $group: { _id: '$licenseId' } },
              { $count: 'n' },
            ]),
          ]);
          return { kid, tokens, licenses: licenses[0]?.n ?? 0 };
        }),
      ),
    );
  }
}
