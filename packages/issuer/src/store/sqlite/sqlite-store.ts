// The embedded store: one SQLite file (`licensor.db`) under the data folder, in WAL mode with
// synchronous=FULL, migrated on open. A fresh clone needs nothing else. better-sqlite3 is
// synchronous; the interface is async so that the MongoDB adapter fits the same shape.

import { mkdirSync, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ed25519KeyPair, KeyPurpose } from '@licensor/token';
import Database from 'better-sqlite3';
import type { CatalogProduct, CatalogWrite, Plan } from '../../catalog/types.js';
import { StoreCorruptError, StoreNotFoundError, StoreUnavailableError } from '../../errors.js';
import type {
  ApprovalRequest,
  AuditEvent,
  CheckRecord,
  CheckView,
  Customer,
  Installation,
  KeyStatus,
  KeysetRecord,
  License,
  ProductKeysetRecord,
  SigningKeyRecord,
  TokenTransaction,
  Transaction,
  VendorUser,
} from '../../records.js';
import type { AuditChainHead, ChainedAuditEvent } from '../audit-chain.js';
import {
  beforeCursorOf,
  decodeCustomerCursor,
  decodeLicenseCursor,
  namePrefixRange,
} from '../cursors.js';
import { SQLITE_FILE } from '../data-folder.js';
import type { CheckFailure } from '../event-sources-port.js';
import type { KeysetReport, RevisionReport } from '../key-usage-port.js';
import type { SqliteLogHealth } from '../log-health.js';
import type {
  AuditFilter,
  ChecksImport,
  CommitOutcome,
  CustomerPage,
  DailyUsage,
  DayRange,
  LastCheck,
  LicenseFilter,
  LicenseLastCheck,
  LicensorStore,
  PlanRevisionKey,
  RequestFilter,
  RollUpOptions,
  RollUpResult,
  StoredPrivateKey,
  TermEndKey,
  TransactionFilter,
} from '../ports.js';
import { loadStatusKeys } from '../status-keys.js';
import { asAnswer, challengeDedupeKey, type WriteStepHook } from '../transaction-effects.js';
import { checkViewOf, DECLINED_IN_VIEW } from '../views.js';
import { webhookEventOfRequest } from '../webhook-events.js';
import {
  anchorAuditSync,
  appendAuditSync,
  auditChainSync,
  auditHeadSync,
  legacyAuditSync,
} from './audit-chain.js';
import { appendOutboxSync, auditEventFromRow, SqliteAutomation } from './automation.js';
import { SqliteChains } from './chains.js';
import {
  Checkpointer,
  type CheckpointerOptions,
  ShmHold,
  writerAutocheckpoint,
} from './checkpointer.js';
import { insertCheckFailures, SqliteEventSources } from './event-sources.js';
import { DEFAULT_CACHE_MIB, sizedCacheMiB, warmHashIndexes } from './hash-indexes.js';
import { LICENSE_ROWIDS_OF_INSTALLATION } from './installation-seq.js';
import { IssueWriter, type IssueWriterFaults } from './issue-writer.js';
import { SqliteKeyUsage } from './key-usage.js';
import { migrate } from './migrations.js';
import { NonceWriter, type WriterFaults } from './nonce-writer.js';
import * as accounts from './sqlite-accounts.js';
import * as catalog from './sqlite-catalog.js';
import { SqliteChecks } from './sqlite-checks.js';
import { SqliteCommitter, type TransactionRow, transactionFromRow } from './sqlite-commit.js';
import { importChecksSync, importRequestsSync } from './sqlite-import.js';
import * as keys from './sqlite-keys.js';
import * as productKeys from './sqlite-product-keys.js';
import { lastChecks } from './sqlite-usage-watch.js';
import { SqliteSso } from './sso.js';
import { statement } from './statements.js';
import { SqliteTwoFactor } from './two-factor.js';
import { walHealth } from './wal-health.js';

type Row = Record<string, unknown>;

function parseBody<T>(row: unknown): T | null {
  return row === undefined ? null : (JSON.parse((row as { body: string }).body) as T);
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The file's size in bytes, or undefined when there is no such file. */
function sizeOf(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.size;
}

/** Tables of the file other than SQLite's own. */
const USER_TABLES = `SELECT name FROM sqlite_master
  WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`;

/**
 * What the file holds, read without writing: a Licensor store (its `schema_migrations`, at any
 * schema version), nothing yet (a new store), or another program's tables.
 */
function schemaOf(db: Database.Database): 'licensor' | 'empty' | 'foreign' {
  const tables = db.prepare(USER_TABLES).pluck().all() as string[];
  if (tables.includes('schema_migrations')) return 'licensor';
  return tables.length === 0 ? 'empty' : 'foreign';
}

function foreignTables(db: Database.Database): string {
  const tables = db.prepare(USER_TABLES).pluck().all() as string[];
  return tables.length > 5 ? `${tables.slice(0, 5).join(', ')}, …` : tables.join(', ');
}

/**
 * Active subscriptions by (term end, id) from a cursor, on licenses_by_term_end (term_end,
 * updated_at, id): named, since without it the planner takes licenses_by_state (state = ?) and
 * reads every active license. Within one term end the ids are sorted (a few rows).
 */
export const SUBSCRIPTIONS_ENDING_SQL = `SELECT body FROM licenses INDEXED BY licenses_by_term_end
  WHERE term_end IS NOT NULL AND term_end >= ? AND term_end < ? AND (term_end > ? OR id > ?)
    AND state = 'active' AND model = 'subscription'
  ORDER BY term_end, id LIMIT ?`;

function limitOf(limit: number | undefined, fallback = 100): number {
  return Math.max(1, Math.min(limit ?? fallback, 10_000));
}

export class SqliteStore implements LicensorStore {
  readonly kind = 'sqlite' as const;
  readonly automation: SqliteAutomation;
  readonly chains: SqliteChains;
  readonly twoFactor: SqliteTwoFactor;
  readonly sso: SqliteSso;
  readonly eventSources: SqliteEventSources;
  readonly keyUsage: SqliteKeyUsage;
  private readonly db: Database.Database;
  private readonly committer: SqliteCommitter;
  private readonly checks: SqliteChecks;
  private readonly nonces: NonceWriter;
  /** The group commit's thread; null: commits on the event loop (a write-step hook, or asked). */
  private readonly issues: IssueWriter | null;
  /** A test's gate on the syncs of the log this store makes without the thread (WriterFaults). */
  private readonly logSyncGate: Int32Array | undefined;
  private closed = false;

  static open(
    dataDir: string,
    options: {
      onWriteStep?: WriteStepHook;
      /** Page cache (MiB, env LICENSOR_SQLITE_CACHE_MIB); default sized from the store when `warm`, else 64. */
      cacheMiB?: number | undefined;
      checkWriterFaults?: WriterFaults;
      /**
       * Commits on a thread of their own (issue-writer.ts; default true). A write-step hook
       * (a test's simulated crash between two writes) runs on the event loop's committer.
       */
      issueThread?: boolean;
      issueWriterFaults?: IssueWriterFaults;
      /** Opened for issuing: size the page cache and read the hash-keyed indexes (hash-indexes.ts). */
      warm?: boolean;
      /** Checkpoints on a thread of their own, not in a COMMIT (checkpointer.ts; default true). */
      checkpointThread?: boolean;
      /** The checkpoint thread's settings and a test's faults (checkpointer.ts). */
      checkpointer?: CheckpointerOptions;
      /**
       * Whether a missing store may be made (the folder, the file, its schema; default true):
       * false refuses one with ERR_STORE_NOT_FOUND naming the folder.
       */
      create?: boolean;
    } = {},
  ): SqliteStore {
    const file = join(dataDir, SQLITE_FILE);
    const create = options.create !== false;
    // SQLite takes a zero-byte file for an empty database and would write a new schema into
    // it: a truncated copy of the store would quietly become a store with no licenses.
    try {
      const size = sizeOf(file);
      if (size === 0 && (sizeOf(`${file}-wal`) ?? 0) === 0) {
        throw new StoreCorruptError(file, 'is empty (0 bytes)');
      }
      if (size === undefined && !create) throw new StoreNotFoundError(dataDir);
      if (create) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const db = new Database(file, { fileMustExist: !create });
      try {
        db.pragma('busy_timeout = 5000');
        // Before anything writes to it (WAL mode, the schema): a file of another program is
        // refused and left as it was; one without tables is a new store, if this may make one.
        const schema = schemaOf(db);
        if (schema === 'foreign') {
          throw new StoreCorruptError(
            file,
            `holds tables of another program (${foreignTables(db)}) and no Licensor schema; it was left unchanged`,
          );
        }
        if (schema === 'empty' && !create) throw new StoreNotFoundError(dataDir);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        // Pages held in memory per connection: a large store's indexes want more than the
        // 2 MiB SQLite defaults to (see docs/deploying.md, sizing).
        db.pragma(`cache_size = ${-1024 * (options.cacheMiB ?? DEFAULT_CACHE_MIB)}`);
        migrate(db, Date.now());
        if (options.warm === true) {
          if (options.cacheMiB === undefined)
            db.pragma(`cache_size = ${-1024 * sizedCacheMiB(db)}`);
          warmHashIndexes(db);
        }
      } catch (error) {
        db.close();
        throw error;
      }
      // Held until this store's connections are closed: a checkpoint thread's descriptor on
      // -shm (this store's or another's on the file) stays open while they hold their locks.
      let shm: ShmHold | null = null;
      let checkpointer: Checkpointer | null = null;
      try {
        shm = new ShmHold(file);
        if (options.checkpointThread !== false) {
          checkpointer = new Checkpointer(file, options.checkpointer);
        }
        db.pragma(`wal_autocheckpoint = ${writerAutocheckpoint(file)}`);
        return new SqliteStore(dataDir, db, options, checkpointer, shm);
      } catch (error) {
        db.close();
        const release = () => shm?.release();
        void (checkpointer?.close() ?? Promise.resolve()).then(release, release);
        throw error;
      }
    } catch (error) {
      if (error instanceof StoreCorruptError || error instanceof StoreNotFoundError) throw error;
      if ((error as { code?: unknown }).code === 'ERR_STORE_SCHEMA') throw error;
      throw new StoreUnavailableError(
        `cannot open the SQLite store in ${dataDir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private constructor(
    readonly dataDir: string,
    db: Database.Database,
    options: {
      onWriteStep?: WriteStepHook;
      checkWriterFaults?: WriterFaults;
      issueThread?: boolean;
      issueWriterFaults?: IssueWriterFaults;
    },
    /** The log's checkpoint thread; null: each connection checkpoints in its COMMIT. */
    private readonly checkpointer: Checkpointer | null,
    /** This store's hold on the process's -shm descriptor, released after its connections close. */
    private readonly shm: ShmHold,
  ) {
    const { onWriteStep, checkWriterFaults } = options;
    this.db = db;
    this.committer = new SqliteCommitter(db, onWriteStep);
    this.logSyncGate = options.issueWriterFaults?.syncGate;
    // The thread finds the audit chain anchored (the anchor reads the entries written before
    // the chain): done here, on the event loop, before its first commit.
    this.issues =
      onWriteStep === undefined && options.issueThread !== false
        ? new IssueWriter(
            join(dataDir, SQLITE_FILE),
            Number(db.pragma('cache_size', { simple: true })),
            (at) => db.transaction(() => anchorAuditSync(db, at)).immediate(),
            options.issueWriterFaults,
          )
        : null;
    this.automation = new SqliteAutomation(() => this.open);
    this.checks = new SqliteChecks(db);
    this.nonces = new NonceWriter(join(dataDir, SQLITE_FILE), checkWriterFaults);
    this.chains = new SqliteChains(() => this.open, this.nonces);
    this.twoFactor = new SqliteTwoFactor(() => this.open);
    this.sso = new SqliteSso(() => this.open);
    this.eventSources = new SqliteEventSources(() => this.open);
    this.keyUsage = new SqliteKeyUsage(() => this.open);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
  }

  private get open(): Database.Database {
    this.assertOpen();
    return this.db;
  }

  async getCheckView(licenseId: string): Promise<CheckView | null> {
    const license = parseBody<License>(
      statement(this.open, 'SELECT body FROM licenses WHERE id = ?').get(licenseId),
    );
    if (license === null) return null;
    const declined = statement(
      this.open,
      `SELECT body FROM requests WHERE license_id = ? AND status = 'rejected'
         ORDER BY created_at DESC LIMIT ${DECLINED_IN_VIEW}`,
    )
      .all(licenseId)
      .map((row) => parseBody<ApprovalRequest>(row)!);
    return checkViewOf(license, declined);
  }

  async recordChecks(records: CheckRecord[]): Promise<void> {
    this.assertOpen();
    // On the writer's thread, in the group of the nonces in flight (nonce-writer.ts).
    await this.nonces
      .record(
        records.map((r) => [
          r.id,
          r.at,
          r.licenseId,
          r.installationId,
          r.sdkVersion,
          r.credentialsInUse,
          r.outcome,
        ]),
      )
      .catch(unavailable);
  }

  async recordCheckFailures(failures: CheckFailure[]): Promise<void> {
    try {
      insertCheckFailures(this.open, failures);
    } catch (error) {
      unavailable(error);
    }
  }

  recordKeysetReports(reports: readonly KeysetReport[]): Promise<number> {
    return this.keyUsage.recordKeysetReports(reports);
  }

  recordRevisionReports(reports: readonly RevisionReport[]): Promise<number> {
    return this.keyUsage.recordRevisionReports(reports);
  }

  loadStatusSigningKeys(passphrase?: string): Promise<Ed25519KeyPair[]> {
    return loadStatusKeys(this, passphrase);
  }

  async ping(): Promise<void> {
    try {
      statement(this.open, 'SELECT 1').get();
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(
        `the SQLite store does not answer: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * The log and its checkpoints (store/log-health.ts): what both services show on /metrics and
   * log. Reads no table and waits for no lock; after close, frames waiting are unknown (null).
   */
  logHealth(): SqliteLogHealth {
    return walHealth(
      join(this.dataDir, SQLITE_FILE),
      this.closed ? null : this.shm,
      this.checkpointer,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Both writers are asked to close whatever the other answers.
    const writers = await Promise.allSettled([this.issues?.close(), this.nonces.close()]);
    const failed = writers.find((result) => result.status === 'rejected');
    try {
      // The event loop's connection first, then the checkpoint thread's, then the -shm hold:
      // the process's descriptor on -shm outlives every connection that holds locks on it.
      this.db.close();
    } finally {
      try {
        await this.checkpointer?.close();
      } finally {
        // A writer that failed to close may still hold its connection, and with it SQLite's locks
        // on -shm, which closing the process's descriptor on that file would drop: the hold is
        // kept (one descriptor left open) rather than risk another process writing under it.
        if (failed === undefined) this.shm.release();
      }
    }
    if (failed !== undefined) throw failed.reason;
  }

  async commitTransaction(transaction: Transaction): Promise<CommitOutcome> {
    this.assertOpen();
    if (this.issues === null) return this.committer.commit(transaction).catch(unavailable);
    const outcome = await this.issues.commit(transaction).catch(unavailable);
    if (outcome.status === 'error') {
      unavailable(Object.assign(new Error(outcome.error), { code: outcome.code }));
    }
    if (outcome.status !== 'challenge-used') return { status: outcome.status };
    const existing = asAnswer(transactionFromRow(outcome.row));
    // Stored unapplied by an older version (commits store it applied): its records now.
    if (!existing.applied) this.committer.apply(existing);
    return { status: 'challenge-used', existing: { ...existing, applied: true } };
  }

  async applyTransaction(transaction: Transaction): Promise<void> {
    this.assertOpen();
    this.committer.apply(transaction);
  }

  async listUnappliedTransactions(licenseId?: string): Promise<Transaction[]> {
    const rows =
      licenseId === undefined
        ? statement(
            this.open,
            'SELECT body, applied FROM transactions WHERE applied = 0 ORDER BY at',
          ).all()
        : statement(
            this.open,

            'SELECT body, applied FROM transactions WHERE applied = 0 AND license_id = ? ORDER BY at',
          ).all(licenseId);
    return (rows as TransactionRow[]).map(transactionFromRow);
  }

  async getTransaction(id: string): Promise<Transaction | null> {
    const row = statement(this.open, 'SELECT body, applied FROM transactions WHERE id = ?').get(id);
    if (row === undefined) return null;
    const transaction = transactionFromRow(row as TransactionRow);
    await this.onDisk(typeof transaction.token === 'string');
    return transaction;
  }

  /**
   * A key read back is handed out only once it is on disk: a commit of the issue writer's thread
   * is visible a sync before it is durable (issue-writer.ts), so a read that returns a token waits
   * for a sync of the log that began after it read (it covers every commit the read saw, this
   * process's or another's).
   */
  private async onDisk(carriesKey: boolean): Promise<void> {
    if (!carriesKey) return;
    if (this.issues !== null) await this.issues.durable().catch(unavailable);
    else
      await this.syncLog().catch((error: unknown) => {
        throw new StoreUnavailableError(
          `cannot sync the SQLite log before handing out a key read back: ${(error as Error).message}`,
          { cause: error },
        );
      });
  }

  /**
   * Without the thread (a write-step hook, or `sqliteIssueThread: false`): an fdatasync of the
   * log here, which begins after the read and covers every frame in it, whoever wrote it (another
   * process's issue thread answers a commit only after its own sync, but the commit is visible
   * before). No log file: it was checkpointed into the database file, which a checkpoint syncs.
   * A read that carries a key costs about 0.2-0.5 ms more (median; README: measured), more
   * when another process's pages are still to be written, which is the wait this is for.
   */
  private async syncLog(): Promise<void> {
    const gate = this.logSyncGate;
    if (gate !== undefined && Atomics.load(gate, 0) === 0) {
      Atomics.add(gate, 1, 1);
      while (Atomics.load(gate, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    let log: Awaited<ReturnType<typeof openFile>>;
    try {
      log = await openFile(`${join(this.dataDir, SQLITE_FILE)}-wal`, 'r');
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return;
      throw error;
    }
    try {
      await log.datasync();
    } finally {
      await log.close();
    }
  }

  async findTransactionByChallenge(challengeHash: string): Promise<TokenTransaction | null> {
    const row = statement(
      this.open,
      'SELECT body, applied FROM transactions WHERE dedupe_key = ?',
    ).get(challengeDedupeKey(challengeHash));
    if (row === undefined) return null;
    // A key handed out again: only once it is on disk.
    const transaction = asAnswer(transactionFromRow(row as TransactionRow));
    await this.onDisk(typeof transaction.token === 'string');
    return transaction;
  }

  async listTransactions(filter: TransactionFilter): Promise<Transaction[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.licenseId !== undefined) {
      where.push('license_id = ?');
      args.push(filter.licenseId);
    }
    if (filter.customerId !== undefined) {
      where.push('customer_id = ?');
      args.push(filter.customerId);
    }
    if (filter.before !== undefined) {
      where.push('at < ?');
      args.push(filter.before);
    }
    const sql = `SELECT body, applied FROM transactions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY at DESC, rowid DESC LIMIT ?`;
    const rows = statement(this.open, sql).all(...args, limitOf(filter.limit));
    const transactions = (rows as TransactionRow[]).map(transactionFromRow);
    if (filter.factsOnly !== true) {
      await this.onDisk(transactions.some((t) => typeof t.token === 'string'));
    }
    return transactions;
  }

  async getLicense(id: string): Promise<License | null> {
    // Not held for a sync: the issue path reads it (a challenge issued again, after its
    // transaction's wait). Where a license leaves the store with its key (the issuer's
    // getLicense), its transactions are read beside it and wait.
    return parseBody<License>(
      statement(this.open, 'SELECT body FROM licenses WHERE id = ?').get(id),
    );
  }

  async listLicensesOfOlderPlanRevision(
    planId: string,
    revision: number,
    after: PlanRevisionKey | null,
    limit: number,
  ): Promise<License[]> {
    const rows = statement(this.open, catalog.OLDER_PLAN_REVISION_SQL).all(
      planId,
      revision,
      after?.revision ?? Number.MIN_SAFE_INTEGER,
      after?.id ?? '',
      limitOf(limit),
    );
    const licenses = rows.map((row) => parseBody<License>(row)!);
    await this.onDisk(licenses.some((l) => typeof l.latestToken === 'string'));
    return licenses;
  }

  async listSubscriptionsEnding(
    from: number,
    before: number,
    after: TermEndKey | null,
    limit: number,
  ): Promise<License[]> {
    // From the cursor (or `from`) on licenses_by_term_end: the range starts at the page, and
    // only the ids of one term end are sorted (query-plans.test.ts).
    const rows = statement(this.open, SUBSCRIPTIONS_ENDING_SQL).all(
      after === null ? from : Math.max(from, after.termEnd),
      before,
      after?.termEnd ?? Number.MIN_SAFE_INTEGER,
      after?.id ?? '',
      limitOf(limit),
    );
    const licenses = rows.map((row) => parseBody<License>(row)!);
    await this.onDisk(licenses.some((l) => typeof l.latestToken === 'string'));
    return licenses;
  }

  async listLicenses(filter: LicenseFilter): Promise<License[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const equal = (column: string, value: unknown) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      args.push(value);
    };
    equal('state', filter.state);
    equal('model', filter.model);
    equal('customer_id', filter.customerId);
    // An installation's licenses are few: found by its number (installation-seq.ts), the
    // thumbprint compared too, and the other filters tested on them (NOT INDEXED: rowids only).
    const ofInstallation = filter.installationId !== undefined;
    if (ofInstallation) {
      where.push(`installation_id = ? AND rowid IN ${LICENSE_ROWIDS_OF_INSTALLATION}`);
      args.push(filter.installationId, filter.installationId, filter.installationId);
    }
    if (filter.q !== undefined && filter.q !== '') {
      // A license id (or its start), or part of a customer's name: the customers are searched
      // (a tenth of the licenses), then their licenses by index; never a scan of the licenses.
      where.push(`((id >= ? AND id < ?) OR customer_id IN
        (SELECT id FROM customers WHERE name LIKE ? ESCAPE '\\'))`);
      args.push(filter.q, `${filter.q}\uffff`, likePattern(filter.q));
    }
    if (filter.termEndsBefore !== undefined) {
      where.push('term_end IS NOT NULL AND term_end < ?');
      args.push(filter.termEndsBefore);
    }
    if (filter.termEndsAfter !== undefined) {
      where.push('term_end IS NOT NULL AND term_end >= ?');
      args.push(filter.termEndsAfter);
    }
    if (filter.updatedSince !== undefined) {
      where.push('updated_at >= ?');
      args.push(filter.updatedSince);
    }
    if (filter.after !== undefined) {
      // After the cursor in (updated_at DESC, id): a range on the index, not an OFFSET.
      const after = decodeLicenseCursor(filter.after);
      where.push('updated_at <= ? AND (updated_at < ? OR id > ?)');
      args.push(after.updatedAt, after.updatedAt, after.id);
    }
    const before = beforeCursorOf(filter);
    if (before !== null) {
      // Before the cursor: the same range the other way, read from the cursor backwards.
      where.push('updated_at >= ? AND (updated_at > ? OR id < ?)');
      args.push(before.updatedAt, before.updatedAt, before.id);
    }
    const entitled = catalog.entitlementConditions(filter);
    where.push(...entitled.where);
    args.push(...entitled.args);
    // The page is chosen on an index (filter columns, updated_at, id) first, then only its
    // rows are read: sorting never carries the bodies of every match.
    const sql = `SELECT body FROM licenses WHERE rowid IN (SELECT rowid FROM licenses${ofInstallation ? ' NOT INDEXED' : ''}
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${before === null ? 'updated_at DESC, id' : 'updated_at, id DESC'} LIMIT ? OFFSET ?)
      ORDER BY updated_at DESC, id`;
    const rows = statement(this.open, sql).all(...args, limitOf(filter.limit), filter.offset ?? 0);
    const licenses = rows.map((row) => parseBody<License>(row)!);
    // Each carries its newest key (latestToken): handed out only once it is on disk.
    await this.onDisk(licenses.some((l) => typeof l.latestToken === 'string'));
    return licenses;
  }

  // Products and plans (catalog port).
  async insertProduct(product: CatalogProduct): Promise<CatalogWrite> {
    return catalog.insertProduct(this.open, product);
  }
  async updateProduct(product: CatalogProduct, expectedVersion: number): Promise<CatalogWrite> {
    return catalog.updateProduct(this.open, product, expectedVersion);
  }
  async getProduct(id: string): Promise<CatalogProduct | null> {
    return catalog.getProduct(this.open, id);
  }
  async findProductByName(name: string): Promise<CatalogProduct | null> {
    return catalog.findProductByName(this.open, name);
  }
  async listProducts(): Promise<CatalogProduct[]> {
    return catalog.listProducts(this.open);
  }
  async insertPlan(plan: Plan): Promise<CatalogWrite> {
    return catalog.insertPlan(this.open, plan);
  }
  async updatePlan(plan: Plan, expectedVersion: number): Promise<CatalogWrite> {
    return catalog.updatePlan(this.open, plan, expectedVersion);
  }
  async getPlan(id: string): Promise<Plan | null> {
    return catalog.getPlan(this.open, id);
  }
  async findPlanByName(name: string): Promise<Plan | null> {
    return catalog.findPlanByName(this.open, name);
  }
  async listPlans(): Promise<Plan[]> {
    return catalog.listPlans(this.open);
  }

  async getCustomer(id: string): Promise<Customer | null> {
    return parseBody<Customer>(
      statement(this.open, 'SELECT body FROM customers WHERE id = ?').get(id),
    );
  }

  async findCustomerByName(name: string, except?: string): Promise<Customer | null> {
    // Exactly first (a store may hold names that differ only in case, written before they were
    // unique ignoring case), else ignoring ASCII case: NOCASE, as the customers' name order.
    const other = except ?? '';
    return (
      parseBody<Customer>(
        statement(
          this.open,
          'SELECT body FROM customers WHERE name = ? AND id <> ? ORDER BY id LIMIT 1',
        ).get(name, other),
      ) ??
      parseBody<Customer>(
        statement(
          this.open,
          'SELECT body FROM customers WHERE name = ? COLLATE NOCASE AND id <> ? ORDER BY id LIMIT 1',
        ).get(name, other),
      )
    );
  }

  async listCustomers(page: CustomerPage = {}): Promise<Customer[]> {
    const after = page.after === undefined ? null : decodeCustomerCursor(page.after);
    const where: string[] = [];
    const args: unknown[] = [];
    if (page.q !== undefined && page.q !== '') {
      // A name prefix: a range on the (name NOCASE, id) index.
      const { from, below } = namePrefixRange(page.q);
      where.push('name COLLATE NOCASE >= ? AND name COLLATE NOCASE < ?');
      args.push(from, below);
    }
    if (after !== null) {
      where.push('name COLLATE NOCASE >= ? AND (name COLLATE NOCASE > ? OR id > ?)');
      args.push(after.name, after.name, after.id);
    }
    const rows = statement(
      this.open,
      `SELECT body FROM customers ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY name COLLATE NOCASE, id LIMIT ?`,
    ).all(...args, limitOf(page.limit));
    return rows.map((row) => parseBody<Customer>(row)!);
  }

  async getInstallation(id: string): Promise<Installation | null> {
    return parseBody<Installation>(
      statement(this.open, 'SELECT body FROM installations WHERE id = ?').get(id),
    );
  }

  async listLicensesOfInstallation(installationId: string): Promise<License[]> {
    // What listLicenses({ installationId }) answers (newest first, at most its default page of
    // 100, as on MongoDB), as one read: the paged form (a rowid IN subquery with a bound LIMIT
    // and OFFSET) cost about 60 µs on the issue path for a new installation's empty answer.
    // Through the installation's number (installation-seq.ts), the thumbprint compared too.
    const rows = statement(
      this.open,
      `SELECT body FROM licenses NOT INDEXED
        WHERE installation_id = ? AND rowid IN ${LICENSE_ROWIDS_OF_INSTALLATION}
        ORDER BY updated_at DESC, id LIMIT 100`,
    ).all(installationId, installationId, installationId);
    return rows.map((row) => parseBody<License>(row)!);
  }

  async putRequest(request: ApprovalRequest): Promise<ApprovalRequest> {
    const db = this.open;
    // The request and its request.created webhook event are one SQLite transaction.
    db.transaction(() => {
      const inserted = db
        .prepare(`INSERT OR IGNORE INTO requests (id, challenge_hash, status, license_id, created_at, body)
          VALUES (?, ?, ?, ?, ?, ?)`)
        .run(
          request.id,
          request.challengeHash,
          request.status,
          request.licenseId,
          request.createdAt,
          JSON.stringify(request),
        );
      if (inserted.changes === 1) appendOutboxSync(db, [webhookEventOfRequest(request)]);
    }).immediate();
    return (await this.findRequestByChallenge(request.challengeHash))!;
  }

  async getRequest(id: string): Promise<ApprovalRequest | null> {
    return parseBody<ApprovalRequest>(
      statement(this.open, 'SELECT body FROM requests WHERE id = ?').get(id),
    );
  }

  async findRequestByChallenge(challengeHash: string): Promise<ApprovalRequest | null> {
    return parseBody<ApprovalRequest>(
      statement(this.open, 'SELECT body FROM requests WHERE challenge_hash = ?').get(challengeHash),
    );
  }

  async listRequests(filter: RequestFilter): Promise<ApprovalRequest[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status !== undefined) {
      where.push('status = ?');
      args.push(filter.status);
    }
    if (filter.licenseId !== undefined) {
      where.push('license_id = ?');
      args.push(filter.licenseId);
    }
    const sql = `SELECT body FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id LIMIT ?`;
    return statement(this.open, sql)
      .all(...args, limitOf(filter.limit))
      .map((row) => parseBody<ApprovalRequest>(row)!);
  }

  async listChecks(licenseId: string, limit?: number): Promise<CheckRecord[]> {
    const rows = statement(
      this.open,
      `SELECT id, at, license_id, installation_id, sdk_version, credentials_in_use, outcome
        FROM checks WHERE license_id = ? ORDER BY at DESC, id LIMIT ?`,
    ).all(licenseId, limitOf(limit)) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      at: r.at as number,
      licenseId: r.license_id as string,
      installationId: r.installation_id as string,
      sdkVersion: r.sdk_version as string,
      credentialsInUse: r.credentials_in_use as number,
      outcome: r.outcome as CheckRecord['outcome'],
    }));
  }

  async lastCheck(licenseId: string): Promise<LastCheck | null> {
    this.assertOpen();
    return this.checks.lastCheck(licenseId);
  }

  async dailyUsage(licenseId: string, range?: DayRange): Promise<DailyUsage[]> {
    this.assertOpen();
    return this.checks.dailyUsage(licenseId, range);
  }

  async lastChecks(since: number): Promise<LicenseLastCheck[]> {
    return lastChecks(this.open, since);
  }

  async rollUpChecks(options: RollUpOptions): Promise<RollUpResult> {
    this.assertOpen();
    return this.checks.rollUp(options).catch(unavailable);
  }

  async importTransactions(transactions: Transaction[]): Promise<void> {
    this.assertOpen();
    try {
      this.committer.importMany(transactions);
    } catch (error) {
      unavailable(error);
    }
  }

  async importChecks(records: Iterable<CheckRecord>, expected = 0): Promise<ChecksImport> {
    try {
      return importChecksSync(this.open, records, expected);
    } catch (error) {
      unavailable(error);
    }
  }

  async importRequests(requests: ApprovalRequest[]): Promise<number> {
    try {
      return importRequestsSync(this.open, requests);
    } catch (error) {
      unavailable(error);
    }
  }

  async appendAuditEvent(event: AuditEvent): Promise<void> {
    const db = this.open;
    try {
      db.transaction(() => appendAuditSync(db, event)).immediate();
    } catch (error) {
      unavailable(error);
    }
  }

  async auditChainHead(): Promise<AuditChainHead | null> {
    return auditHeadSync(this.open);
  }

  async anchorAuditChain(at: number): Promise<AuditChainHead> {
    const db = this.open;
    try {
      return db.transaction(() => anchorAuditSync(db, at)).immediate();
    } catch (error) {
      unavailable(error);
    }
  }

  async listAuditChain(afterSeq: number, limit: number): Promise<ChainedAuditEvent[]> {
    return auditChainSync(this.open, afterSeq, limit);
  }

  async listLegacyAuditEvents(
    after: { at: number; id: string } | null,
    limit: number,
  ): Promise<AuditEvent[]> {
    return legacyAuditSync(this.open, after, limit);
  }

  async listAuditEvents(filter: AuditFilter): Promise<AuditEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const pairs: [string, unknown][] = [
      ['subject_id = ?', filter.subjectId],
      ['actor = ?', filter.actor],
      ['action = ?', filter.action],
      ['at >= ?', filter.since],
    ];
    for (const [clause, value] of pairs) {
      if (value === undefined) continue;
      where.push(clause);
      args.push(value);
    }
    const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY at DESC, rowid DESC LIMIT ?`;
    const rows = statement(this.open, sql).all(...args, limitOf(filter.limit)) as Row[];
    return rows.map(auditEventFromRow);
  }

  async insertSigningKey(record: SigningKeyRecord, privateKey: StoredPrivateKey): Promise<void> {
    keys.insertSigningKey(this.open, record, privateKey);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return keys.listSigningKeys(this.open);
  }

  async readPrivateKeys(purpose: KeyPurpose, product?: string | null): Promise<StoredPrivateKey[]> {
    return keys.readPrivateKeys(this.open, purpose, product ?? null);
  }

  async readSealedKey(purpose: KeyPurpose): Promise<StoredPrivateKey | null> {
    return keys.readSealedKey(this.open, purpose);
  }

  async setSigningKeyState(
    kid: string,
    from: readonly KeyStatus[],
    to: KeyStatus,
    at: number,
  ): Promise<SigningKeyRecord | null> {
    return keys.setSigningKeyState(this.open, kid, from, to, at);
  }

  async insertKeyset(keyset: KeysetRecord): Promise<boolean> {
    return keys.insertKeyset(this.open, keyset);
  }

  async listKeysets(afterSeq: number): Promise<KeysetRecord[]> {
    return keys.listKeysets(this.open, afterSeq);
  }

  async latestKeysetSeq(): Promise<number | null> {
    return keys.latestKeysetSeq(this.open);
  }

  async insertProductKeyset(keyset: ProductKeysetRecord): Promise<boolean> {
    return productKeys.insertProductKeyset(this.open, keyset);
  }

  async listProductKeysets(afterSeq: number): Promise<ProductKeysetRecord[]> {
    return productKeys.listProductKeysets(this.open, afterSeq);
  }

  async insertUser(user: VendorUser, passwordHash: string): Promise<void> {
    accounts.insertUser(this.open, user, passwordHash);
  }

  async getUserByName(name: string): Promise<(VendorUser & { passwordHash: string }) | null> {
    return accounts.getUserByName(this.open, name);
  }

  async listUsers(): Promise<VendorUser[]> {
    return accounts.listUsers(this.open);
  }

  async updateUser(id: string, patch: accounts.UserPatch): Promise<void> {
    accounts.updateUser(this.open, id, patch);
  }
}

/** The database is locked, full or failing: the store is unavailable, not the input wrong. */
function unavailable(error: unknown): never {
  const code = String((error as { code?: unknown }).code ?? '');
  if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|CORRUPT|NOTADB)/.test(code)) {
    throw new StoreUnavailableError(
      `the SQLite store cannot write (${code}): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  throw error;
}
