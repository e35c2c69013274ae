// The MongoDB adapter (through mongoose), chosen by MONGODB_URI: for production, a replica set or
// a sharded cluster. It never relies on multi-document transactions (see mongo-commit.ts), so
// it also runs on FerretDB. Operations fail fast with ERR_STORE_UNAVAILABLE when the server is
// gone, instead of waiting in mongoose's command buffer.

import type { Ed25519KeyPair, KeyPurpose } from '@licensor/token';
import mongoose, { type Connection } from 'mongoose';
import type { CatalogProduct, CatalogWrite, Plan } from '../../catalog/types.js';
import { StoreUnavailableError } from '../../errors.js';
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
  foldName,
  namePrefixRange,
} from '../cursors.js';
import type { CheckFailure } from '../event-sources-port.js';
import type { KeysetReport, RevisionReport } from '../key-usage-port.js';
import type { ServerManagedLog } from '../log-health.js';
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
  anchorAuditChain,
  appendAuditChained,
  auditEventOfDocument,
  auditHead,
  listAuditChain,
  listLegacyAudit,
} from './audit-chain.js';
import { appendOutbox, automationModelsOf, MongoAutomation } from './automation.js';
import { MongoChains } from './chains.js';
import { MongoEventSources } from './event-sources.js';
import { MongoKeyUsage } from './key-usage.js';
import * as accounts from './mongo-accounts.js';
import * as catalog from './mongo-catalog.js';
import { MongoChecks } from './mongo-checks.js';
import { MongoCommitter, type OutboxWriter, transactionFromDocument } from './mongo-commit.js';
import { isDuplicateKey, onlyDuplicateKeys } from './mongo-errors.js';
import {
  importChecks,
  importRequests,
  importTransactions,
  recoverImports,
} from './mongo-import.js';
import * as keys from './mongo-keys.js';
import * as productKeys from './mongo-product-keys.js';
import { newestChecks } from './mongo-usage-watch.js';
import { type MongoModels, modelsOf } from './schemas.js';
import { MongoSso } from './sso.js';
import { MongoTwoFactor } from './two-factor.js';

type Doc = Record<string, unknown>;

/** A stored document as a record: `_id` becomes `id`. */
function recordOf<T>(document: unknown): T {
  const { _id, ...rest } = document as Doc;
  return { id: _id, ...rest } as T;
}

/** A customer document without its sort key (`nameKey`, the folded name). */
function customerOf(document: unknown): Customer {
  const { nameKey: _key, ...customer } = recordOf<Customer & { nameKey?: string }>(document);
  return customer;
}

function maybe<T>(document: unknown): T | null {
  return document === null || document === undefined ? null : recordOf<T>(document);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function limitOf(limit: number | undefined, fallback = 100): number {
  return Math.max(1, Math.min(limit ?? fallback, 10_000));
}

function databaseName(uri: string, explicit: string | undefined): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const path = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(uri)?.[1] ?? '';
  return decodeURIComponent(path) || 'licensor';
}

const UNAVAILABLE =
  /MongoNetworkError|MongoServerSelectionError|MongoNotConnectedError|MongoTopologyClosedError|MongooseServerSelectionError|MongoNetworkTimeoutError|PoolClearedError/;

export class MongoStore implements LicensorStore {
  readonly kind = 'mongo' as const;
  // Set by open(), before the store is handed out.
  automation!: MongoAutomation;
  chains!: MongoChains;
  twoFactor!: MongoTwoFactor;
  sso!: MongoSso;
  eventSources!: MongoEventSources;
  keyUsage!: MongoKeyUsage;
  private readonly committer: MongoCommitter;
  private readonly checks: MongoChecks;
  private readonly writeOutbox: OutboxWriter;
  private closed = false;

  static async open(
    uri: string,
    dataDir: string,
    options: {
      onWriteStep?: WriteStepHook;
      dbName?: string | undefined;
      /** False: create no collection or index (a least-privilege user may not). */
      prepare?: boolean;
    } = {},
  ): Promise<MongoStore> {
    let connection: Connection | undefined;
    try {
      connection = mongoose.createConnection(uri, {
        dbName: databaseName(uri, options.dbName),
        serverSelectionTimeoutMS: 3000,
        bufferCommands: false,
        autoIndex: false,
        // A least-privilege user (the verify service's) may create nothing.
        autoCreate: options.prepare !== false,
      });
      await connection.asPromise();
      const models = modelsOf(connection);
      for (const model of options.prepare === false ? [] : Object.values(models)) {
        await model.createCollection().catch(() => undefined);
        await model.createIndexes();
      }
      const automationModels = automationModelsOf(connection);
      const store = new MongoStore(dataDir, connection, models, options.onWriteStep, (events) =>
        appendOutbox(automationModels, events),
      );
      if (options.prepare !== false) {
        await store.foldCustomerNames();
        // The records of an import batch a crash left half-written (mongo-import.ts).
        await recoverImports(models);
      }
      store.automation = await MongoAutomation.open(
        automationModels,
        (operation) => store.run(operation),
        options.prepare !== false,
      );
      store.twoFactor = await MongoTwoFactor.open(
        connection,
        (operation) => store.run(operation),
        options.prepare !== false,
      );
      store.sso = await MongoSso.open(
        connection,
        (operation) => store.run(operation),
        options.prepare !== false,
      );
      store.eventSources = await MongoEventSources.open(
        connection,
        models.checks,
        (operation) => store.run(operation),
        options.prepare !== false,
      );
      store.keyUsage = await MongoKeyUsage.open(
        connection,
        models,
        (operation) => store.run(operation),
        options.prepare !== false,
      );
      store.chains = await MongoChains.open(
        connection,
        (operation) => store.run(operation),
        options.prepare !== false,
      );
      return store;
    } catch (error) {
      await connection?.close().catch(() => undefined);
      throw new StoreUnavailableError(
        `cannot open the MongoDB store (${(error as Error).message}): check MONGODB_URI and that the server is up`,
        { cause: error },
      );
    }
  }

  private constructor(
    readonly dataDir: string,
    private readonly connection: Connection,
    private readonly models: MongoModels,
    private readonly onWriteStep: WriteStepHook | undefined,
    writeOutbox: OutboxWriter,
  ) {
    this.committer = new MongoCommitter(models, onWriteStep, writeOutbox);
    this.writeOutbox = writeOutbox;
    this.checks = new MongoChecks(models);
  }

  /** Runs a store operation; a lost server becomes ERR_STORE_UNAVAILABLE. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return await operation();
    } catch (error) {
      const name = (error as Error)?.name ?? '';
      if (UNAVAILABLE.test(name) || this.connection.readyState !== 1) {
        throw new StoreUnavailableError(
          `the MongoDB store does not answer: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  getCheckView(licenseId: string): Promise<CheckView | null> {
    return this.run(async () => {
      const license = maybe<License>(await this.models.licenses.findById(licenseId).lean());
      if (license === null) return null;
      const declined = await this.models.requests
        .find({ licenseId, status: 'rejected' })
        .sort({ createdAt: -1 })
        .limit(DECLINED_IN_VIEW)
        .lean();
      return checkViewOf(
        license,
        declined.map((document) => recordOf<ApprovalRequest>(document)),
      );
    });
  }

  recordChecks(records: CheckRecord[]): Promise<void> {
    return this.run(async () => {
      if (records.length === 0) return;
      // The reported key set and revision are recorded per installation (recordKeysetReports,
      // recordRevisionReports), not here.
      const documents = records.map(({ id, keyset: _keyset, rev: _rev, ...rest }) => ({
        _id: id,
        ...rest,
      }));
      try {
        await this.models.checks.insertMany(documents, { ordered: false });
      } catch (error) {
        // A record written before (a retried batch) is fine; any other failure is not.
        if (!onlyDuplicateKeys(error)) throw error;
      }
    });
  }

  recordCheckFailures(failures: CheckFailure[]): Promise<void> {
    return this.eventSources.record(failures);
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

  ping(): Promise<void> {
    return this.run(async () => {
      const db = this.connection.db;
      if (db === undefined) throw new StoreUnavailableError('the MongoDB store is not connected');
      await db.command({ ping: 1 });
    });
  }

  /** The server keeps and checkpoints its own journal: nothing of the store's to watch. */
  logHealth(): ServerManagedLog {
    return { kind: 'server-managed' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }

  commitTransaction(transaction: Transaction): Promise<CommitOutcome> {
    return this.run(() => this.committer.commit(transaction));
  }

  applyTransaction(transaction: Transaction): Promise<void> {
    return this.run(() => this.committer.apply(transaction));
  }

  listUnappliedTransactions(licenseId?: string): Promise<Transaction[]> {
    return this.run(async () => {
      const filter = licenseId === undefined ? { applied: false } : { applied: false, licenseId };
      const documents = await this.models.transactions.find(filter).sort({ at: 1 }).lean();
      return documents.map((d) => transactionFromDocument(d as Doc));
    });
  }

  getTransaction(id: string): Promise<Transaction | null> {
    return this.run(async () => {
      const document = await this.models.transactions.findById(id).lean();
      return document === null ? null : transactionFromDocument(document as Doc);
    });
  }

  findTransactionByChallenge(challengeHash: string): Promise<TokenTransaction | null> {
    return this.run(async () => {
      const document = await this.models.transactions
        .findOne({ dedupeKey: challengeDedupeKey(challengeHash) })
        .lean();
      return document === null ? null : asAnswer(transactionFromDocument(document as Doc));
    });
  }

  listTransactions(filter: TransactionFilter): Promise<Transaction[]> {
    return this.run(async () => {
      const query: Doc = {};
      if (filter.licenseId !== undefined) query.licenseId = filter.licenseId;
      if (filter.customerId !== undefined) query.customerId = filter.customerId;
      if (filter.before !== undefined) query.at = { $lt: filter.before };
      const documents = await this.models.transactions
        .find(query)
        // Within one millisecond, a license's own log order (seq) decides.
        .sort({ at: -1, seq: -1, _id: -1 })
        .limit(limitOf(filter.limit))
        .lean();
      return documents.map((d) => transactionFromDocument(d as Doc));
    });
  }

  getLicense(id: string): Promise<License | null> {
    return this.run(async () => maybe<License>(await this.models.licenses.findById(id).lean()));
  }

  listLicenses(filter: LicenseFilter): Promise<License[]> {
    return this.run(async () => {
      const query: Doc = {};
      if (filter.state !== undefined) query.state = filter.state;
      if (filter.model !== undefined) query.model = filter.model;
      if (filter.customerId !== undefined) query.customerId = filter.customerId;
      if (filter.installationId !== undefined) query.installationId = filter.installationId;
      if (filter.q !== undefined && filter.q !== '') {
        // A license id (or its start), or part of a customer's name: the customers are
        // searched (a tenth of the licenses), then their licenses by index.
        const pattern = { $regex: escapeRegex(filter.q), $options: 'i' };
        const customers = await this.models.customers.find({ name: pattern }, { _id: 1 }).lean();
        query.$or = [
          { _id: { $regex: `^${escapeRegex(filter.q)}` } },
          { customerId: { $in: customers.map((c) => c._id) } },
        ];
      }
      if (filter.termEndsBefore !== undefined || filter.termEndsAfter !== undefined) {
        query['term.end'] = {
          ...(filter.termEndsBefore !== undefined ? { $lt: filter.termEndsBefore } : {}),
          ...(filter.termEndsAfter !== undefined ? { $gte: filter.termEndsAfter } : {}),
        };
      }
      if (filter.updatedSince !== undefined) query.updatedAt = { $gte: filter.updatedSince };
      Object.assign(query, catalog.entitlementQuery(filter));
      if (filter.after !== undefined) {
        // After the cursor in (updatedAt descending, _id ascending): a range on the index.
        const after = decodeLicenseCursor(filter.after);
        query.$and = [
          ...((query.$and as object[] | undefined) ?? []),
          {
            $or: [
              { updatedAt: { $lt: after.updatedAt } },
              { updatedAt: after.updatedAt, _id: { $gt: after.id } },
            ],
          },
        ];
      }
      const before = beforeCursorOf(filter);
      if (before !== null) {
        // Before the cursor: the same range the other way, read from the cursor backwards.
        query.$and = [
          ...((query.$and as object[] | undefined) ?? []),
          {
            $or: [
              { updatedAt: { $gt: before.updatedAt } },
              { updatedAt: before.updatedAt, _id: { $lt: before.id } },
            ],
          },
        ];
      }
      const documents = await this.models.licenses
        .find(query)
        .sort(before === null ? { updatedAt: -1, _id: 1 } : { updatedAt: 1, _id: -1 })
        .skip(filter.offset ?? 0)
        .limit(limitOf(filter.limit))
        .lean();
      if (before !== null) documents.reverse();
      return documents.map((d) => recordOf<License>(d));
    });
  }

  listSubscriptionsEnding(
    from: number,
    before: number,
    after: TermEndKey | null,
    limit: number,
  ): Promise<License[]> {
    return this.run(async () => {
      // A range on the (term.end, _id) index from the cursor (schemas.ts), as on SQLite.
      const range =
        after === null
          ? { 'term.end': { $gte: from, $lt: before } }
          : {
              $or: [
                { 'term.end': { $gt: after.termEnd, $gte: from, $lt: before } },
                { 'term.end': after.termEnd, _id: { $gt: after.id } },
              ],
            };
      const documents = await this.models.licenses
        .find({ state: 'active', model: 'subscription', ...range })
        .sort({ 'term.end': 1, _id: 1 })
        .limit(limitOf(limit))
        .lean();
      return documents.map((d) => recordOf<License>(d));
    });
  }

  listLicensesOfOlderPlanRevision(
    planId: string,
    revision: number,
    after: PlanRevisionKey | null,
    limit: number,
  ): Promise<License[]> {
    return this.run(async () => {
      const at = 'entitlements.plan.revision';
      // A range on the plan-revision index from the cursor (schemas.ts), as on SQLite.
      const range =
        after === null
          ? { [at]: { $lt: revision } }
          : {
              $or: [
                { [at]: { $gt: after.revision, $lt: revision } },
                { [at]: after.revision, _id: { $gt: after.id } },
              ],
            };
      const documents = await this.models.licenses
        .find({ 'entitlements.plan.id': planId, state: { $ne: 'revoked' }, ...range })
        .sort({ [at]: 1, _id: 1 })
        .limit(limitOf(limit))
        .lean();
      return documents.map((d) => recordOf<License>(d));
    });
  }

  // Products and plans (catalog port).
  insertProduct(product: CatalogProduct): Promise<CatalogWrite> {
    return this.run(() => catalog.insertProduct(this.models, product));
  }
  updateProduct(product: CatalogProduct, expectedVersion: number): Promise<CatalogWrite> {
    return this.run(() => catalog.updateProduct(this.models, product, expectedVersion));
  }
  getProduct(id: string): Promise<CatalogProduct | null> {
    return this.run(() => catalog.getProduct(this.models, id));
  }
  findProductByName(name: string): Promise<CatalogProduct | null> {
    return this.run(() => catalog.findProductByName(this.models, name));
  }
  listProducts(): Promise<CatalogProduct[]> {
    return this.run(() => catalog.listProducts(this.models));
  }
  insertPlan(plan: Plan): Promise<CatalogWrite> {
    return this.run(() => catalog.insertPlan(this.models, plan));
  }
  updatePlan(plan: Plan, expectedVersion: number): Promise<CatalogWrite> {
    return this.run(() => catalog.updatePlan(this.models, plan, expectedVersion));
  }
  getPlan(id: string): Promise<Plan | null> {
    return this.run(() => catalog.getPlan(this.models, id));
  }
  findPlanByName(name: string): Promise<Plan | null> {
    return this.run(() => catalog.findPlanByName(this.models, name));
  }
  listPlans(): Promise<Plan[]> {
    return this.run(() => catalog.listPlans(this.models));
  }

  getCustomer(id: string): Promise<Customer | null> {
    return this.run(async () => {
      const document = await this.models.customers.findById(id).lean();
      return document === null ? null : customerOf(document);
    });
  }

  findCustomerByName(name: string, except?: string): Promise<Customer | null> {
    // Exactly first (a store may hold names that differ only in case, written before they were
    // unique ignoring case), else by the folded name (ASCII case, as SQLite's NOCASE).
    const other = except === undefined ? {} : { _id: { $ne: except } };
    return this.run(async () => {
      const document =
        (await this.models.customers
          .findOne({ name, ...other })
          .sort({ _id: 1 })
          .lean()) ??
        (await this.models.customers
          .findOne({ nameKey: foldName(name), ...other })
          .sort({ _id: 1 })
          .lean());
      return document === null ? null : customerOf(document);
    });
  }

  listCustomers(page: CustomerPage = {}): Promise<Customer[]> {
    return this.run(async () => {
      const after = page.after === undefined ? null : decodeCustomerCursor(page.after);
      const key = after === null ? null : foldName(after.name);
      const conditions: object[] = [];
      if (page.q !== undefined && page.q !== '') {
        // A name prefix: a range on the nameKey index.
        const { from, below } = namePrefixRange(foldName(page.q));
        conditions.push({ nameKey: { $gte: from, $lt: below } });
      }
      if (key !== null) {
        conditions.push({
          $or: [{ nameKey: { $gt: key } }, { nameKey: key, _id: { $gt: after!.id } }],
        });
      }
      const documents = await this.models.customers
        .find(conditions.length === 0 ? {} : { $and: conditions })
        .sort({ nameKey: 1, _id: 1 })
        .limit(limitOf(page.limit))
        .lean();
      return documents.map(customerOf);
    });
  }

  /** Gives customers stored before names were folded their sort key (once; small batches). */
  private async foldCustomerNames(): Promise<void> {
    for (;;) {
      const unfolded = await this.models.customers
        .find({ nameKey: { $exists: false } }, { _id: 1, name: 1 })
        .limit(1_000)
        .lean();
      if (unfolded.length === 0) return;
      await this.models.customers.bulkWrite(
        unfolded.map((d) => ({
          updateOne: {
            filter: { _id: d._id, nameKey: { $exists: false } },
            update: { $set: { nameKey: foldName(String(d.name)) } },
          },
        })),
      );
    }
  }

  getInstallation(id: string): Promise<Installation | null> {
    return this.run(async () =>
      maybe<Installation>(await this.models.installations.findById(id).lean()),
    );
  }

  listLicensesOfInstallation(installationId: string): Promise<License[]> {
    return this.listLicenses({ installationId });
  }

  putRequest(request: ApprovalRequest): Promise<ApprovalRequest> {
    return this.run(async () => {
      const { id, ...rest } = request;
      try {
        await this.models.requests.create({ _id: id, ...rest });
        // Not one write with the request (no multi-document transactions): a crash between
        // the two is made good by the webhook dispatcher, which re-appends the event of every
        // pending request on start (by its fixed id, so never twice).
        await this.writeOutbox([webhookEventOfRequest(request)]);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const stored = await this.models.requests
        .findOne({ challengeHash: request.challengeHash })
        .lean();
      return recordOf<ApprovalRequest>(stored);
    });
  }

  getRequest(id: string): Promise<ApprovalRequest | null> {
    return this.run(async () =>
      maybe<ApprovalRequest>(await this.models.requests.findById(id).lean()),
    );
  }

  findRequestByChallenge(challengeHash: string): Promise<ApprovalRequest | null> {
    return this.run(async () =>
      maybe<ApprovalRequest>(await this.models.requests.findOne({ challengeHash }).lean()),
    );
  }

  listRequests(filter: RequestFilter): Promise<ApprovalRequest[]> {
    return this.run(async () => {
      const query: Doc = {};
      if (filter.status !== undefined) query.status = filter.status;
      if (filter.licenseId !== undefined) query.licenseId = filter.licenseId;
      const documents = await this.models.requests
        .find(query)
        .sort({ createdAt: -1, _id: 1 })
        .limit(limitOf(filter.limit))
        .lean();
      return documents.map((d) => recordOf<ApprovalRequest>(d));
    });
  }

  listChecks(licenseId: string, limit?: number): Promise<CheckRecord[]> {
    return this.run(async () => {
      const documents = await this.models.checks
        .find({ licenseId })
        .sort({ at: -1, _id: 1 })
        .limit(limitOf(limit))
        .lean();
      return documents.map((d) => recordOf<CheckRecord>(d));
    });
  }

  lastCheck(licenseId: string): Promise<LastCheck | null> {
    return this.run(() => this.checks.lastCheck(licenseId));
  }

  dailyUsage(licenseId: string, range?: DayRange): Promise<DailyUsage[]> {
    return this.run(() => this.checks.dailyUsage(licenseId, range));
  }

  lastChecks(since: number): Promise<LicenseLastCheck[]> {
    return this.run(async () => {
      const newest = await newestChecks(this.models, since);
      const byLicense = new Map(newest.map((c) => [c.licenseId, c]));
      const found: LicenseLastCheck[] = [];
      const ids = [...byLicense.keys()];
      // The licenses by id, a bounded batch per query.
      for (let at = 0; at < ids.length; at += 1_000) {
        const documents = await this.models.licenses
          .find({ _id: { $in: ids.slice(at, at + 1_000) } })
          .lean();
        for (const document of documents) {
          const license = recordOf<License>(document);
          const { licenseId: _, ...lastCheck } = byLicense.get(license.id)!;
          found.push({ license, lastCheck });
        }
      }
      return found;
    });
  }

  rollUpChecks(options: RollUpOptions): Promise<RollUpResult> {
    return this.run(() => this.checks.rollUp(options));
  }

  importTransactions(transactions: Transaction[]): Promise<void> {
    return this.run(() => importTransactions(this.models, transactions, this.onWriteStep));
  }

  importChecks(records: Iterable<CheckRecord>): Promise<ChecksImport> {
    return this.run(() => importChecks(this.models, records));
  }

  importRequests(requests: ApprovalRequest[]): Promise<number> {
    return this.run(() => importRequests(this.models, requests, this.writeOutbox));
  }

  appendAuditEvent(event: AuditEvent): Promise<void> {
    return this.run(() => appendAuditChained(this.models, [event]));
  }

  auditChainHead(): Promise<AuditChainHead | null> {
    return this.run(() => auditHead(this.models));
  }

  anchorAuditChain(at: number): Promise<AuditChainHead> {
    return this.run(() => anchorAuditChain(this.models, at));
  }

  listAuditChain(afterSeq: number, limit: number): Promise<ChainedAuditEvent[]> {
    return this.run(() => listAuditChain(this.models, afterSeq, limit));
  }

  listLegacyAuditEvents(
    after: { at: number; id: string } | null,
    limit: number,
  ): Promise<AuditEvent[]> {
    return this.run(() => listLegacyAudit(this.models, after, limit));
  }

  listAuditEvents(filter: AuditFilter): Promise<AuditEvent[]> {
    return this.run(async () => {
      const query: Doc = {};
      if (filter.subjectId !== undefined) query.subjectId = filter.subjectId;
      if (filter.actor !== undefined) query.actor = filter.actor;
      if (filter.action !== undefined) query.action = filter.action;
      if (filter.since !== undefined) query.at = { $gte: filter.since };
      const documents = await this.models.auditEvents
        .find(query)
        .sort({ at: -1, _id: -1 })
        .limit(limitOf(filter.limit))
        .lean();
      return documents.map(auditEventOfDocument);
    });
  }

  insertSigningKey(record: SigningKeyRecord, privateKey: StoredPrivateKey): Promise<void> {
    return this.run(() => keys.insertSigningKey(this.models, record, privateKey));
  }

  listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.run(() => keys.listSigningKeys(this.models));
  }

  readPrivateKeys(purpose: KeyPurpose, product?: string | null): Promise<StoredPrivateKey[]> {
    return this.run(() => keys.readPrivateKeys(this.models, purpose, product ?? null));
  }

  readSealedKey(purpose: KeyPurpose): Promise<StoredPrivateKey | null> {
    return this.run(() => keys.readSealedKey(this.models, purpose));
  }

  setSigningKeyState(
    kid: string,
    from: readonly KeyStatus[],
    to: KeyStatus,
    at: number,
  ): Promise<SigningKeyRecord | null> {
    return this.run(() => keys.setSigningKeyState(this.models, kid, from, to, at));
  }

  insertKeyset(keyset: KeysetRecord): Promise<boolean> {
    return this.run(() => keys.insertKeyset(this.models, keyset));
  }

  listKeysets(afterSeq: number): Promise<KeysetRecord[]> {
    return this.run(() => keys.listKeysets(this.models, afterSeq));
  }

  latestKeysetSeq(): Promise<number | null> {
    return this.run(() => keys.latestKeysetSeq(this.models));
  }

  insertProductKeyset(keyset: ProductKeysetRecord): Promise<boolean> {
    return this.run(() => productKeys.insertProductKeyset(this.models, keyset));
  }

  listProductKeysets(afterSeq: number): Promise<ProductKeysetRecord[]> {
    return this.run(() => productKeys.listProductKeysets(this.models, afterSeq));
  }

  insertUser(user: VendorUser, passwordHash: string): Promise<void> {
    return this.run(() => accounts.insertUser(this.models, user, passwordHash));
  }

  getUserByName(name: string): Promise<(VendorUser & { passwordHash: string }) | null> {
    return this.run(() => accounts.getUserByName(this.models, name));
  }

  listUsers(): Promise<VendorUser[]> {
    return this.run(() => accounts.listUsers(this.models));
  }

  updateUser(id: string, patch: accounts.UserPatch): Promise<void> {
    return this.run(() => accounts.updateUser(this.models, id, patch));
  }
}
