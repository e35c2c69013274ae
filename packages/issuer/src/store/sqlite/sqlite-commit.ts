// Writes of the transaction log on SQLite. A commit is one SQLite transaction (a savepoint inside
// a group commit), so on this adapter a crash leaves either all of it or none of it. Two paths
// write commits, with the statements below: by default the issue writer's thread
// (issue-writer.ts: its own connection with synchronous=NORMAL and its own fdatasync of the log,
// a commit answered once a sync that began after its COMMIT returned); and SqliteCommitter here,
// on the event loop's connection, which runs with synchronous=FULL (SQLite syncs the log inside
// COMMIT): the fallback for a store opened with `issueThread: false` (`sqliteIssueThread` in
// openStore) or with a write-step hook, and always for a roll-forward and a bulk import. On
// either path the commits that arrive together share one sync, and a key is handed out only
// after the log holding its transaction is on disk.

import type Database from 'better-sqlite3';
import { InputInvalidError } from '../../errors.js';
import type { Transaction } from '../../records.js';
import type { CommitOutcome } from '../ports.js';
import {
  asAnswer,
  auditEventOf,
  requestDecisionOf,
  transactionKeys,
  type WriteStepHook,
} from '../transaction-effects.js';
import { webhookEventOfTransaction } from '../webhook-events.js';
import { appendAuditSync } from './audit-chain.js';
import { appendOutboxSync } from './automation.js';
import { isUniqueViolation } from './sqlite-errors.js';

export interface TransactionRow {
  body: string;
  applied: number;
}

export function transactionFromRow(row: TransactionRow): Transaction {
  return { ...JSON.parse(row.body), applied: row.applied === 1 } as Transaction;
}

/** The JSON of a record a transaction leads to, as its row stores it (null: no such record). */
const jsonOf = (record: object | null): string | null =>
  record === null ? null : JSON.stringify(record);

/**
 * The transaction's row body: JSON.stringify of it without `applied`. The records it leads to
 * are encoded once for their own rows and for this body: when they are its last members (as
 * buildTokenTransaction and the other builders make them), their JSON is put in place after the
 * rest; any other shape is encoded whole. The same bytes either way (JSON.stringify writes the
 * members in Object.keys order, a nested object as its own JSON.stringify).
 */
function bodyOf(
  transaction: Transaction,
  license: string | null,
  customer: string | null,
  installation: string | null,
): string {
  const {
    applied: _applied,
    licenseAfter,
    customerAfter,
    installationAfter,
    ...rest
  } = transaction;
  const keys = Object.keys(transaction);
  let last = keys.length - 1;
  if (keys[last] === 'applied') last -= 1;
  if (
    last < 3 ||
    keys[last - 2] !== 'licenseAfter' ||
    keys[last - 1] !== 'customerAfter' ||
    keys[last] !== 'installationAfter' ||
    licenseAfter === undefined ||
    customerAfter === undefined ||
    installationAfter === undefined
  ) {
    const { applied: _, ...body } = transaction;
    return JSON.stringify(body);
  }
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)},"licenseAfter":${license ?? 'null'},"customerAfter":${customer ?? 'null'},"installationAfter":${installation ?? 'null'}}`;
}

// The statements of a commit: here for the event loop's committer (a roll-forward, a bulk import,
// a store opened with a write-step hook) and for the issue writer's thread (issue-writer.ts).
export const TRANSACTION_INSERT_SQL = `INSERT INTO transactions
  (id, dedupe_key, license_slot, customer_slot, kind, at, license_id, customer_id, applied, body)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`;
export const TRANSACTION_BY_DEDUPE_SQL =
  'SELECT body, applied FROM transactions WHERE dedupe_key = ?';
export const CUSTOMER_UPSERT_SQL = `INSERT INTO customers (id, name, version, body) VALUES (?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, body = excluded.body
  WHERE customers.version < excluded.version`;
export const INSTALLATION_UPSERT_SQL = `INSERT INTO installations (id, last_seen_at, body) VALUES (?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, body = excluded.body
  WHERE installations.last_seen_at < excluded.last_seen_at`;
export const LICENSE_UPSERT_SQL = `INSERT INTO licenses
  (id, customer_id, customer_name, state, model, installation_id, term_end, seq, updated_at, body)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,
    customer_name = excluded.customer_name, state = excluded.state, model = excluded.model,
    installation_id = excluded.installation_id, term_end = excluded.term_end, seq = excluded.seq,
    updated_at = excluded.updated_at, body = excluded.body
  WHERE licenses.seq < excluded.seq`;
export const REQUEST_SELECT_SQL = 'SELECT body FROM requests WHERE id = ?';
export const REQUEST_DECIDE_SQL = `UPDATE requests SET status = ?, body = ? WHERE id = ? AND status = 'pending'`;

/** A commit's rows as the parameters of the statements above (null: no such row). */
export interface CommitRows {
  dedupeKey: string;
  transaction: [
    string,
    string,
    string,
    string,
    string,
    number,
    string | null,
    string | null,
    string,
  ];
  customer: [string, string, number, string] | null;
  installation: [string, number, string] | null;
  license:
    | [string, string, string, string, string, string | null, number | null, number, number, string]
    | null;
  /** The request it decides: its id, and the members the decision sets (JSON). */
  request: { id: string; status: string; decision: string } | null;
}

export function commitRowsOf(transaction: Transaction): CommitRows {
  const keys = transactionKeys(transaction);
  const customer = transaction.customerAfter;
  const installation = transaction.installationAfter;
  const license = transaction.licenseAfter;
  const decision = requestDecisionOf(transaction);
  const licenseJson = jsonOf(license);
  const customerJson = jsonOf(customer);
  const installationJson = jsonOf(installation);
  return {
    dedupeKey: keys.dedupeKey,
    transaction: [
      transaction.id,
      keys.dedupeKey,
      keys.licenseSlot,
      keys.customerSlot,
      transaction.kind,
      transaction.at,
      transaction.licenseId,
      transaction.customerId,
      bodyOf(transaction, licenseJson, customerJson, installationJson),
    ],
    customer:
      customer === null ? null : [customer.id, customer.name, customer.version, customerJson!],
    installation:
      installation === null ? null : [installation.id, installation.lastSeenAt, installationJson!],
    license:
      license === null
        ? null
        : [
            license.id,
            license.customerId,
            license.customerName,
            license.state,
            license.model,
            license.installationId,
            license.term?.end ?? null,
            license.seq,
            license.updatedAt,
            licenseJson!,
          ],
    request:
      decision === null || transaction.requestId === null
        ? null
        : {
            id: transaction.requestId,
            status: decision.status,
            decision: JSON.stringify(decision),
          },
  };
}

export class SqliteCommitter {
  private readonly insertApplied: Database.Statement;
  private readonly selectByDedupe: Database.Statement;
  private readonly upsertCustomer: Database.Statement;
  private readonly upsertInstallation: Database.Statement;
  private readonly upsertLicense: Database.Statement;
  private readonly selectRequest: Database.Statement;
  private readonly updateRequest: Database.Statement;
  private readonly markApplied: Database.Statement;
  private readonly commitOne: (transaction: Transaction) => CommitOutcome;
  private readonly applyOne: (transaction: Transaction) => void;
  private queue: {
    transaction: Transaction;
    resolve: (o: CommitOutcome) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private flushScheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly onWriteStep: WriteStepHook | undefined,
  ) {
    // A commit writes a transaction and its records in one SQLite transaction (a savepoint of
    // the group, or a bulk import's): stored applied at once, with no second write of the row to
    // mark it; a crash keeps none of it. `markApplied` is for the roll-forward of a row stored
    // unapplied (`apply`: a file written before commits stored rows applied).
    this.insertApplied = db.prepare(TRANSACTION_INSERT_SQL);
    this.selectByDedupe = db.prepare(TRANSACTION_BY_DEDUPE_SQL);
    this.upsertCustomer = db.prepare(CUSTOMER_UPSERT_SQL);
    this.upsertInstallation = db.prepare(INSTALLATION_UPSERT_SQL);
    this.upsertLicense = db.prepare(LICENSE_UPSERT_SQL);
    this.selectRequest = db.prepare(REQUEST_SELECT_SQL);
    this.updateRequest = db.prepare(REQUEST_DECIDE_SQL);
    this.markApplied = db.prepare('UPDATE transactions SET applied = 1 WHERE id = ?');
    // Nested in the group commit's transaction, each becomes a savepoint of its own.
    this.commitOne = db.transaction((transaction: Transaction) => this.commitSync(transaction));
    this.applyOne = db.transaction((transaction: Transaction) => this.applySync(transaction, true));
  }

  commit(transaction: Transaction): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ transaction, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  apply(transaction: Transaction): void {
    this.applyOne(transaction);
  }

  /**
   * Bulk load: every transaction and its records in one SQLite transaction, or none; no webhook
   * events (the transactions happened elsewhere, before).
   */
  importMany(transactions: Transaction[]): void {
    this.db
      .transaction(() => {
        for (const transaction of transactions) {
          const outcome = this.commitSync(transaction, true);
          if (outcome.status !== 'committed') {
            throw new InputInvalidError(
              'transactions',
              `hold ${transaction.id}, whose challenge or log position is taken (${outcome.status}): nothing of the batch was imported; import only new transactions`,
            );
          }
        }
      })
      .immediate();
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; outcome: CommitOutcome } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, outcome: this.commitOne(item.transaction) });
            } catch (error) {
              // SQLite rolled the whole transaction back (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM
              // inside a savepoint): the group is refused whole, with this cause, and no later
              // commit runs as a transaction of its own.
              if (!this.db.inTransaction) throw error;
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, index) => {
      const result = outcomes[index]!;
      if (result.ok) item.resolve(result.outcome);
      else item.reject(result.error);
    });
  }

  private commitSync(transaction: Transaction, imported = false): CommitOutcome {
    const rows = commitRowsOf(transaction);
    try {
      this.insertApplied.run(rows.transaction);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const row = this.selectByDedupe.get(rows.dedupeKey) as TransactionRow | undefined;
      if (row !== undefined && rows.dedupeKey.startsWith('chal:')) {
        const existing = asAnswer(transactionFromRow(row));
        if (!existing.applied) this.applySync(existing, true);
        return { status: 'challenge-used', existing: { ...existing, applied: true } };
      }
      return { status: 'conflict' };
    }
    this.onWriteStep?.('transaction', transaction);
    this.applySync(transaction, false, imported, rows);
    return { status: 'committed' };
  }

  /**
   * `markApplied`: the row was stored unapplied (a roll-forward); a commit stores it applied.
   * `imported`: a bulk load's, which writes no webhook event.
   */
  private applySync(
    transaction: Transaction,
    markApplied: boolean,
    imported = false,
    rows = commitRowsOf(transaction),
  ): void {
    const step = this.onWriteStep;
    if (rows.customer !== null) this.upsertCustomer.run(rows.customer);
    step?.('customer', transaction);
    if (rows.installation !== null) this.upsertInstallation.run(rows.installation);
    step?.('installation', transaction);
    if (rows.license !== null) this.upsertLicense.run(rows.license);
    step?.('license', transaction);
    const decided = rows.request;
    if (decided !== null) {
      const row = this.selectRequest.get(decided.id) as { body: string } | undefined;
      if (row !== undefined) {
        const request = { ...JSON.parse(row.body), ...JSON.parse(decided.decision) };
        this.updateRequest.run(decided.status, JSON.stringify(request), decided.id);
      }
    }
    step?.('request', transaction);
    appendAuditSync(this.db, auditEventOf(transaction));
    step?.('audit', transaction);
    // An import is history: it fires no webhooks (docs/contracts.md, Bulk loads), as on MongoDB.
    const webhookEvent = imported ? null : webhookEventOfTransaction(transaction);
    if (webhookEvent !== null) appendOutboxSync(this.db, [webhookEvent]);
    step?.('outbox', transaction);
    if (markApplied) this.markApplied.run(transaction.id);
    step?.('applied', transaction);
  }
}
