// MongoDB bulk import (mongo-import.ts): an open for issuing recovers the batch of an importer
// that died only once its journal entry is older than IMPORT_RECOVERY_AFTER_MS (a younger one may
// be a live import: a CLI command or portal start during it must leave it alone), and an
// importer that fails with an error repairs its own batch before rethrowing.
// Needs MONGODB_URI (skipped without; LICENSOR_REQUIRE_MONGO=1 makes it required).

import { afterEach, expect, it } from 'vitest';
import { openIssuer } from '../src/domain/open-issuer.js';
import type { Transaction } from '../src/records.js';
import { transactionDocument } from '../src/store/mongo/mongo-commit.js';
import { IMPORT_RECOVERY_AFTER_MS } from '../src/store/mongo/mongo-import.js';
import type { MongoModels } from '../src/store/mongo/schemas.js';
import type { LicensorStore } from '../src/store/ports.js';
import { describeOn, mongoAdapter, sqliteAdapter } from './support/adapters.js';
import { frozenClock, TestInstallation } from './support/fixtures.js';

const mongo = mongoAdapter();

const modelsOf = (store: LicensorStore) => (store as unknown as { models: MongoModels }).models;

/** Three issues made by a real issuer on another (SQLite) store, oldest first, to import. */
async function madeElsewhere(): Promise<Transaction[]> {
  const sqlite = sqliteAdapter();
  const store = await (await sqlite.create()).open();
  try {
    const issuer = await openIssuer({ store, now: frozenClock().now, passphrase: '' });
    await issuer.init('alice');
    for (let i = 0; i < 3; i++) {
      await issuer.issue(
        new TestInstallation().challenge(),
        { customerName: `Customer ${i}`, model: 'perpetual', credentials: 5 },
        'alice',
      );
    }
    return (await issuer.listTransactions()).reverse();
  } finally {
    await store.close();
    await sqlite.cleanup();
  }
}

describeOn(mongo, 'MongoDB: import recovery', () => {
  const opened: LicensorStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await mongo.cleanup();
  });

  // Three opens of a MongoDB store (each builds every index): up to 15 s on a loaded machine.
  it('leaves a young journal entry (a live import) to its importer; recovers one older than the bound', {
    timeout: 60_000,
  }, async () => {
    const transactions = await madeElsewhere();
    const handle = await mongo.create();
    const importing = await handle.open();
    opened.push(importing);
    const models = modelsOf(importing);
    // An importer part-way through its batch: its entry written, two of its three
    // transactions stored, none of their records yet.
    await models.importJournal.create({
      _id: 'imp_live',
      transactionIds: transactions.map((t) => t.id),
      startedAt: Date.now(),
    });
    await models.transactions.insertMany(
      transactions.slice(0, 2).map((t) => transactionDocument({ ...t, applied: true })),
    );

    // A CLI command or portal start meanwhile: its open leaves the batch alone.
    const during = await handle.open();
    opened.push(during);
    expect(await models.importJournal.countDocuments({ _id: 'imp_live' })).toBe(1);
    expect(await during.listLicenses({})).toEqual([]);

    // The importer died: once the entry is older than the bound, the next open recovers it.
    await models.importJournal.updateOne(
      { _id: 'imp_live' },
      { $set: { startedAt: Date.now() - IMPORT_RECOVERY_AFTER_MS - 60_000 } },
    );
    const after = await handle.open();
    opened.push(after);
    expect(await models.importJournal.countDocuments({})).toBe(0);
    const licenses = await after.listLicenses({});
    expect(licenses.map((l) => l.id).sort()).toEqual(
      transactions
        .slice(0, 2)
        .map((t) => t.licenseId)
        .sort(),
    );
  });

  it('an importer that fails with an error repairs its own batch before rethrowing', {
    timeout: 60_000,
  }, async () => {
    const transactions = await madeElsewhere();
    const handle = await mongo.create();
    const failing = await handle.open({
      onWriteStep: (step) => {
        if (step === 'transaction') throw new Error('failed after the transactions');
      },
    });
    opened.push(failing);
    await expect(failing.importTransactions(transactions)).rejects.toThrow(/failed after/);
    // No open since: the importer itself wrote the records and removed its entry.
    expect(await modelsOf(failing).importJournal.countDocuments({})).toBe(0);
    expect(await failing.listLicenses({})).toHaveLength(3);
    expect(await failing.listUnappliedTransactions()).toEqual([]);
  });
});
