// Writes of the transaction log on MongoDB, without multi-document transactions (they need a
// replica set, and FerretDB has none). The transaction document is written first: one insert,
// atomic, unique per challenge and per position in the license's log. It is the source of
// truth. The records it leads to are then written over older versions only (customer by
// `version`, installation by `lastSeenAt`, license by `seq`), the audit event and the request
// decision by fixed keys, and the transaction is marked applied. A crash between any two of
// these writes leaves a stored, unapplied transaction that the next open (or the next issue of
// the same challenge) rolls forward; repeating a write changes nothing.

import type { Transaction } from '../../records.js';
import type { OutboxEvent } from '../automation-port.js';
import { foldName } from '../cursors.js';
import type { CommitOutcome } from '../ports.js';
import {
  asAnswer,
  auditEventOf,
  requestDecisionOf,
  transactionKeys,
  type WriteStepHook,
} from '../transaction-effects.js';
import { webhookEventOfTransaction } from '../webhook-events.js';
import { appendAuditChained } from './audit-chain.js';
import { isDuplicateKey } from './mongo-errors.js';
import type { MongoModels } from './schemas.js';

/** An upsert over an older version: a newer one already there shows up as a duplicate key. */
async function writeIfNewer(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

export function transactionDocument(transaction: Transaction): Record<string, unknown> {
  const { id, ...rest } = transaction;
  return { _id: id, ...rest, ...transactionKeys(transaction) };
}

export function transactionFromDocument(document: Record<string, unknown>): Transaction {
  const { _id, dedupeKey: _d, licenseSlot: _l, customerSlot: _c, ...rest } = document;
  return { id: _id as string, ...rest } as Transaction;
}

/** Writes webhook events to the outbox, idempotently (store/mongo/automation.ts). */
export type OutboxWriter = (events: OutboxEvent[]) => Promise<void>;

export class MongoCommitter {
  constructor(
    private readonly models: MongoModels,
    private readonly onWriteStep: WriteStepHook | undefined,
    private readonly writeOutbox: OutboxWriter,
  ) {}

  async commit(transaction: Transaction): Promise<CommitOutcome> {
    const document = transactionDocument({ ...transaction, applied: false });
    try {
      await this.models.transactions.create(document);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const dedupeKey = document.dedupeKey as string;
      const found = dedupeKey.startsWith('chal:')
        ? await this.models.transactions.findOne({ dedupeKey }).lean()
        : null;
      if (found === null) return { status: 'conflict' };
      const existing = asAnswer(transactionFromDocument(found as Record<string, unknown>));
      if (!existing.applied) await this.apply(existing);
      return { status: 'challenge-used', existing: { ...existing, applied: true } };
    }
    this.onWriteStep?.('transaction', transaction);
    await this.apply(transaction);
    return { status: 'committed' };
  }

  async apply(transaction: Transaction): Promise<void> {
    const { models } = this;
    const step = this.onWriteStep;
    const customer = transaction.customerAfter;
    if (customer !== null) {
      const { id, ...fields } = customer;
      await writeIfNewer(() =>
        models.customers.updateOne(
          { _id: id, version: { $lt: customer.version } },
          { $set: { ...fields, nameKey: foldName(customer.name) } },
          { upsert: true },
        ),
      );
    }
    step?.('customer', transaction);
    const installation = transaction.installationAfter;
    if (installation !== null) {
      const { id, ...fields } = installation;
      await writeIfNewer(() =>
        models.installations.updateOne(
          { _id: id, lastSeenAt: { $lt: installation.lastSeenAt } },
          { $set: fields },
          { upsert: true },
        ),
      );
    }
    step?.('installation', transaction);
    const license = transaction.licenseAfter;
    if (license !== null) {
      const { id, ...fields } = license;
      await writeIfNewer(() =>
        models.licenses.updateOne(
          { _id: id, seq: { $lt: license.seq } },
          { $set: fields },
          { upsert: true },
        ),
      );
    }
    step?.('license', transaction);
    const decision = requestDecisionOf(transaction);
    if (decision !== null) {
      await models.requests.updateOne(
        { _id: transaction.requestId, status: 'pending' },
        { $set: decision },
      );
    }
    step?.('request', transaction);
    await appendAuditChained(models, [auditEventOf(transaction)]);
    step?.('audit', transaction);
    // Before the transaction is marked applied: a crash before this write leaves it unapplied,
    // and the roll-forward writes the event (by its fixed id) then.
    const webhookEvent = webhookEventOfTransaction(transaction);
    if (webhookEvent !== null) await this.writeOutbox([webhookEvent]);
    step?.('outbox', transaction);
    await models.transactions.updateOne({ _id: transaction.id }, { $set: { applied: true } });
    step?.('applied', transaction);
  }
}
