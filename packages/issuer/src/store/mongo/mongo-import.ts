// Bulk load on MongoDB (`importTransactions`): the same writes as a commit (mongo-commit.ts), a
// few bulk operations per batch instead of seven round trips per transaction, and inserts only:
// FerretDB (our MongoDB in CI) finds the documents an update or delete names by reading the
// whole collection (87 ms an update at 20,000 transactions; marking a batch applied with one
// updateMany over its ids ran about 3 documents a second), while its inserts take thousands a
// second. So a batch is written as: a journal document naming its transactions (a collection
// of a few documents), the transactions stored applied, their records, and the journal
// document deleted. The journal document carries the importer's start time, a lease: an importer
// that fails with an error repairs its own batch (writes the records of the transactions it
// stored, then deletes the document) before rethrowing; one that dies (killed, power lost)
// leaves the document, and an open for issuing writes the records of its transactions again
// (`recoverImports`; each write keeps what is newer or already there) and deletes it, but only
// once it is older than IMPORT_RECOVERY_AFTER_MS: an open cannot tell a dead importer from a
// live one, and a CLI command or portal start during a running import must not roll forward,
// and delete the entry of, a batch still being written (the rest of its transactions would be
// stored with no entry naming them). Like the import, the recovery fires no webhook events.

import { randomUUID } from 'node:crypto';
import { InputInvalidError } from '../../errors.js';
import type { ApprovalRequest, CheckRecord, Transaction } from '../../records.js';
import { foldName } from '../cursors.js';
import type { ChecksImport } from '../ports.js';
import { auditEventOf, requestDecisionOf, type WriteStepHook } from '../transaction-effects.js';
import { webhookEventOfRequest } from '../webhook-events.js';
import { appendAuditChained } from './audit-chain.js';
import { type OutboxWriter, transactionDocument, transactionFromDocument } from './mongo-commit.js';
import { isDuplicateKey, onlyDuplicateKeys } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

type Versioned = { id: string };

/** The newest of each record by its version field: one upsert per id, in any order. */
function newest<T extends Versioned>(records: (T | null)[], version: (r: T) => number): T[] {
  const byId = new Map<string, T>();
  for (const record of records) {
    if (record === null) continue;
    const held = byId.get(record.id);
    if (held === undefined || version(record) > version(held)) byId.set(record.id, record);
  }
  return [...byId.values()];
}

function upsertsOverOlder<T extends Versioned>(
  records: T[],
  field: keyof T & string,
  derived: (record: T) => object = () => ({}),
): { updateOne: { filter: object; update: object; upsert: true } }[] {
  return records.map((record) => {
    const { id, ...fields } = record;
    return {
      updateOne: {
        filter: { _id: id, [field]: { $lt: record[field] } },
        update: { $set: { ...fields, ...derived(record) } },
        upsert: true,
      },
    };
  });
}

/** What a bulk write needs of a mongoose model (one of licenses, customers, installations). */
interface BulkModel {
  insertMany(documents: object[], options: { ordered: false }): Promise<unknown>;
  bulkWrite(
    operations: ReturnType<typeof upsertsOverOlder>,
    options: { ordered: false },
  ): Promise<unknown>;
}

/**
 * The newest records, each written unless a newer one is stored: inserted first, in one
 * unordered write (on a fresh import nearly all are new, and an insert is what FerretDB does
 * fast: its conditional upserts ran a few a second), then the ones already there by id
 * (a duplicate key) as upserts over an older version.
 */
async function writeNewest<T extends Versioned>(
  model: BulkModel,
  records: T[],
  field: keyof T & string,
  derived: (record: T) => object = () => ({}),
): Promise<void> {
  if (records.length === 0) return;
  const inserted = await insertNew(
    (documents) => model.insertMany(documents, { ordered: false }),
    records.map(({ id, ...fields }) => ({
      _id: id,
      ...fields,
      ...derived({ id, ...fields } as T),
    })),
  );
  const stored = records.filter((_, index) => !inserted.has(index));
  if (stored.length === 0) return;
  await ignoringNewer(() =>
    model.bulkWrite(upsertsOverOlder(stored, field, derived), { ordered: false }),
  );
}

/** A bulk write in which a newer record already stored (a duplicate key) is not an error. */
async function ignoringNewer(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (onlyDuplicateKeys(error)) return;
    throw error;
  }
}

/**
 * How old an import's journal entry is before an open takes its importer for dead and recovers
 * the batch: 10 minutes. A batch (`seed-data --batch-size`, 10,000 transactions by default) is
 * written in seconds, so this is far longer than one batch, and leaves room for the clocks of
 * the importer's and the opener's machines to differ by minutes. The cost: the records of a
 * batch whose importer was killed are missing until an open at least this long after the batch
 * started (the transactions themselves are stored).
 */
export const IMPORT_RECOVERY_AFTER_MS = 10 * 60 * 1000;

/**
 * Import batches an importer that died left half-written, their journal entry older than
 * IMPORT_RECOVERY_AFTER_MS at `now`: the records of their transactions are written again (what
 * is there already or newer is kept), then the journal entry goes. A younger entry is a batch
 * that may be being written: left alone. Returns how many batches were recovered.
 */
export async function recoverImports(models: MongoModels, now = Date.now()): Promise<number> {
  const journal = await models.importJournal
    .find({ startedAt: { $lt: now - IMPORT_RECOVERY_AFTER_MS } })
    .lean();
  for (const entry of journal) await repairBatch(models, String(entry._id), entry.transactionIds);
  return journal.length;
}

/** Writes the records of the batch's transactions that are stored, then deletes its entry. */
async function repairBatch(
  models: MongoModels,
  journalId: string,
  transactionIds: string[],
): Promise<void> {
  const documents = await models.transactions.find({ _id: { $in: transactionIds } }).lean();
  const byId = new Map(
    documents.map((d) => [String(d._id), transactionFromDocument(d as Record<string, unknown>)]),
  );
  const stored = transactionIds.flatMap((id) => {
    const transaction = byId.get(id);
    return transaction === undefined ? [] : [transaction];
  });
  await writeRecords(models, stored);
  await models.importJournal.deleteOne({ _id: journalId });
}

/** What a commit writes after its transaction, for many: newest records, decisions, audit. */
async function writeRecords(models: MongoModels, stored: Transaction[]): Promise<void> {
  const licenses = newest(
    stored.map((t) => t.licenseAfter),
    (l) => l.seq,
  );
  const customers = newest(
    stored.map((t) => t.customerAfter),
    (c) => c.version,
  );
  const installations = newest(
    stored.map((t) => t.installationAfter),
    (i) => i.lastSeenAt,
  );
  await writeNewest(models.customers, customers, 'version', (c) => ({
    nameKey: foldName(c.name),
  }));
  await writeNewest(models.installations, installations, 'lastSeenAt');
  await writeNewest(models.licenses, licenses, 'seq');
  for (const transaction of stored) {
    const decision = requestDecisionOf(transaction);
    if (decision === null) continue;
    await models.requests.updateOne(
      { _id: transaction.requestId, status: 'pending' },
      { $set: decision },
    );
  }
  if (stored.length > 0) await appendAuditChained(models, stored.map(auditEventOf));
}

export async function importTransactions(
  models: MongoModels,
  transactions: Transaction[],
  step?: WriteStepHook,
): Promise<void> {
  if (transactions.length === 0) return;
  const journalId = `imp_${randomUUID()}`;
  await models.importJournal.create({
    _id: journalId,
    transactionIds: transactions.map((t) => t.id),
    startedAt: Date.now(),
  });
  let stored = transactions;
  let clash: unknown = null;
  /** The transactions this batch stored, once the insert has answered; before, any of them. */
  let written: Transaction[] = transactions;
  try {
    try {
      await models.transactions.insertMany(
        transactions.map((t) => transactionDocument({ ...t, applied: true })),
        { ordered: true },
      );
    } catch (error) {
      const inserted = (error as { insertedDocs?: unknown[] }).insertedDocs?.length;
      const index = (error as { writeErrors?: { index: number }[] }).writeErrors?.[0]?.index;
      if (!isDuplicateKey(error) && index === undefined) throw error;
      stored = transactions.slice(0, index ?? inserted ?? 0);
      clash = transactions[stored.length]?.id ?? 'a transaction';
    }
    written = stored;
    if (stored.length > 0) step?.('transaction', stored[0]!);
    await writeRecords(models, stored);
    await models.importJournal.deleteOne({ _id: journalId });
  } catch (error) {
    // Failed part-way, alive: this importer repairs its own batch (the transactions it stored
    // get their records) rather than leave it to an open IMPORT_RECOVERY_AFTER_MS from now. If
    // the repair fails too (the server gone), the entry stays for that recovery.
    await repairBatch(
      models,
      journalId,
      written.map((t) => t.id),
    ).catch(() => undefined);
    throw error;
  }
  if (clash !== null) {
    throw new InputInvalidError(
      'transactions',
      `hold ${String(clash)}, whose challenge or log position is taken: the transactions before it were imported, none after; import only new transactions`,
    );
  }
}

/** Documents per insert of a bulk load. */
const IMPORT_BATCH = 10_000;

/**
 * Runs an unordered insert of `documents`; a duplicate key is a record there already, any other
 * failure is thrown. Returns the positions of the documents inserted.
 */
async function insertNew(
  insertMany: (documents: object[]) => Promise<unknown>,
  documents: object[],
): Promise<Set<number>> {
  const inserted = new Set(documents.keys());
  try {
    await insertMany(documents);
  } catch (error) {
    if (!onlyDuplicateKeys(error)) throw error;
    const given = (error as { writeErrors?: unknown }).writeErrors;
    const failed = given === undefined || given === null ? [] : [given].flat();
    // The driver's WriteError has `index`; mongoose's insertMany hands `{ err: { index } }`.
    for (const failure of failed as { index?: number; err?: { index?: number } }[]) {
      inserted.delete(failure.index ?? failure.err?.index ?? -1);
    }
  }
  return inserted;
}

/** Through the driver: no per-document casting, the records are typed already. */
const driverInsert =
  (models: MongoModels, collection: 'checks' | 'requests') => (documents: object[]) =>
    models[collection].collection.insertMany(documents, { ordered: false });

export async function importChecks(
  models: MongoModels,
  records: Iterable<CheckRecord>,
): Promise<ChecksImport> {
  let read = 0;
  let written = 0;
  let batch: object[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    written += (await insertNew(driverInsert(models, 'checks'), batch)).size;
    batch = [];
  };
  for (const { id, ...rest } of records) {
    read += 1;
    batch.push({ _id: id, ...rest });
    if (batch.length === IMPORT_BATCH) await flush();
  }
  await flush();
  return { read, written, indexesRebuilt: [] };
}

export async function importRequests(
  models: MongoModels,
  requests: ApprovalRequest[],
  writeOutbox: OutboxWriter,
): Promise<number> {
  let written = 0;
  for (let start = 0; start < requests.length; start += IMPORT_BATCH) {
    const slice = requests.slice(start, start + IMPORT_BATCH);
    const inserted = await insertNew(
      driverInsert(models, 'requests'),
      slice.map(({ id, ...rest }) => ({ _id: id, ...rest })),
    );
    // After the requests, as putRequest does: the webhook dispatcher re-appends the event of a
    // pending request whose event a crash lost (by its fixed id, so never twice).
    await writeOutbox(slice.filter((_, i) => inserted.has(i)).map(webhookEventOfRequest));
    written += inserted.size;
  }
  return written;
}
