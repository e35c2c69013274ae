// The store by role. Each part of the system holds only the port of its role: the verify service
// a CheckStore (opened by `openCheckStore`, whose object has nothing else), the issuing domain
// the LedgerStore and the KeyStore, the portal's users the AccountStore. Both adapters (SQLite,
// MongoDB) implement them all; `LicensorStore` is their intersection, which only the issuer holds.
//
// New store methods go on the port of the role that needs them, not on LicensorStore.

import type {
  CheckOutcome,
  Ed25519KeyPair,
  KeyPurpose,
  LicenseModel,
  PublicJwk,
} from '@licensor/token';
import type { CatalogStore } from '../catalog/types.js';
import type { SealedSecret } from '../keys/seal.js';
import type {
  ApprovalRequest,
  AuditEvent,
  CheckRecord,
  CheckView,
  Customer,
  HsmKeyLocation,
  Installation,
  KeyStatus,
  KeysetRecord,
  License,
  LicenseState,
  ProductKeysetRecord,
  RequestStatus,
  SigningKeyRecord,
  TokenTransaction,
  Transaction,
  VendorUser,
} from '../records.js';
import type { AuditChainHead, ChainedAuditEvent } from './audit-chain.js';
import type { AutomationStore } from './automation-port.js';
import type { ChainStore, CheckChainStore } from './chain-port.js';
import type { CheckFailure, EventSourceStore } from './event-sources-port.js';
import type { KeysetReport, KeyUsageStore, RevisionReport } from './key-usage-port.js';
import type { LogHealth } from './log-health.js';
import type { SsoStore } from './sso-port.js';
import type { TwoFactorStore } from './two-factor-port.js';

export type { SealedSecret } from '../keys/seal.js';
export type { LogFault, LogHealth, ServerManagedLog, SqliteLogHealth } from './log-health.js';

import type { UsageWatchStore } from './usage-watch-port.js';

/** Private half of a signing key as kept by the store (never returned by the Issuer). */
export type StoredPrivateKey =
  | { kid: string; purpose: KeyPurpose; protection: 'file' }
  | {
      kid: string;
      purpose: KeyPurpose;
      protection: 'encrypted';
      /** AES-256-GCM of the 32-byte seed, key = scrypt(passphrase, salt), AAD = `purpose:kid`. */
      sealed: SealedSecret;
    }
  | {
      kid: string;
      purpose: KeyPurpose;
      protection: 'pkcs11';
      /** The private half is in this token, under this label; the signer checks this key. */
      hsm: HsmKeyLocation;
      publicKey: PublicJwk;
    };

export type CommitOutcome =
  | { status: 'committed' }
  /** A transaction for the same challenge exists: it is returned, applied. */
  | { status: 'challenge-used'; existing: TokenTransaction }
  /** Another transaction took this position in the license's (or customer's) log. */
  | { status: 'conflict' };

export interface StoreOptions {
  /** Folder of the SQLite file `licensor.db` and of plain key files. Default `./.licensor-data`. */
  dataDir?: string;
  /** MongoDB connection string: selects the MongoDB adapter. */
  mongoUri?: string;
}

// ---------------------------------------------------------------------------------------------
// Filters of the list reads

export interface LicenseFilter {
  state?: LicenseState;
  model?: LicenseModel;
  customerId?: string;
  installationId?: string;
  /** Matches the license id or the customer name (case-insensitive substring). */
  q?: string;
  /** Subscriptions whose term ends before this time (seconds). */
  termEndsBefore?: number;
  /** Subscriptions whose term ends at or after this time (seconds). */
  termEndsAfter?: number;
  /**
   * Licenses changed (issued, renewed, reissued, revoked, suspended, resumed, renamed) at or
   * after this time (ms): `updatedAt >= updatedSince`.
   */
  updatedSince?: number;
  /** Licenses issued from this plan (id). */
  planId?: string;
  /** Licenses covering this product (name). */
  product?: string;
  /** Licenses granting this feature (name). */
  feature?: string;
  limit?: number;
  /** The page after this cursor (`licenseCursor` of the last license of the page before). */
  after?: string;
  /**
   * The page before this cursor (`licenseCursor` of the first license of the page after): the
   * `limit` licenses just ahead of it, in the list's order. Not with `after` or `offset`.
   */
  before?: string;
  /**
   * Rows skipped before the page. Kept for old API clients; it reads every skipped row, so a
   * deep page is slow on a large store: use `after`.
   */
  offset?: number;
}

/** Where a subscription sits among those ending in a window: its term's end (seconds), its id. */
export interface TermEndKey {
  termEnd: number;
  id: string;
}

/** Where a license sits in a plan's affected licenses: the revision it was issued from, its id. */
export interface PlanRevisionKey {
  revision: number;
  id: string;
}

/** A page of customers: by name (ASCII case folded), then id. */
export interface CustomerPage {
  /**
   * Only customers whose name starts with this (ASCII letters folded, as the order): a range on
   * the name index, so a search costs what a page does however many customers there are.
   */
  q?: string;
  /** At most this many (default 100, at most 10,000). */
  limit?: number;
  /** The page after this cursor (`customerCursor` of the last customer of the page before). */
  after?: string;
}

export interface RequestFilter {
  status?: RequestStatus;
  licenseId?: string;
  limit?: number;
}

export interface TransactionFilter {
  licenseId?: string;
  customerId?: string;
  limit?: number;
  /**
   * Only transactions before this time (ms, exclusive): the next page of a license's log, newest
   * first (a range on the (license, time) index). Transactions of the same millisecond as the last
   * of a page may fall on either side: a caller pages from that millisecond again (`before: at + 1`)
   * and skips those it has.
   */
  before?: number;
  /**
   * The caller reads what the transactions say and hands none of their keys out (the dependents
   * of a key): no wait for the keys to be on disk (SQLite waits for a sync of the log before a
   * key read back is handed out).
   */
  factsOnly?: boolean;
}

export interface AuditFilter {
  subjectId?: string;
  actor?: string;
  action?: string;
  /** Only events at or after this time (ms). */
  since?: number;
  limit?: number;
}

/** UTC days as `YYYY-MM-DD`, both ends included. */
export interface DayRange {
  from?: string;
  to?: string;
}

/** One license's checks on one UTC day. */
export interface DailyUsage {
  day: string; // YYYY-MM-DD (UTC)
  checks: number;
  /** Checks per outcome (only outcomes that occurred). */
  outcomes: Partial<Record<CheckOutcome, number>>;
  /** Credentials in use reported that day: lowest, highest, and in the day's last check. */
  usageMin: number;
  usageMax: number;
  usageLast: number;
  /** Time of the day's last check (ms). */
  lastAt: number;
}

/**
 * A license's newest online check: the newest raw record while the window keeps it, else the
 * newest roll-up's last check (raw records are dropped after the window; this is not).
 */
export interface LastCheck {
  /** Time of the check (ms). */
  at: number;
  /** Its outcome; null only for a day rolled up before outcomes were kept that had several. */
  outcome: CheckOutcome | null;
  credentialsInUse: number;
  /** Where it was read: a raw check record, or a day's roll-up. */
  source: 'raw' | 'roll-up';
}

export interface RollUpOptions {
  /** Raw records of UTC days that ended more than this long before `now` are rolled up (ms). */
  keepMs: number;
  /** Clock (ms). */
  now: number;
  /** Raw records read per batch (one short store write each). Default 2,000. */
  batchSize?: number;
  /** Stop after this many batches (the job runs again later). Default unlimited. */
  maxBatches?: number;
  /** Pause between batches so checks and pages are served meanwhile (ms). Default 0 (a yield). */
  pauseMs?: number;
  /** Test hook: called after a batch's roll-ups are written, before its raw records go. */
  afterRollUpWrite?: () => void;
}

export interface RollUpResult {
  /** Raw records rolled up and dropped. */
  rolledUp: number;
  batches: number;
  /** True when no raw record older than the window is left. */
  done: boolean;
}

// ---------------------------------------------------------------------------------------------
// Role ports

/** What every opened store has: which adapter, where its plain key files live, readiness. */
export interface StoreHandle {
  readonly kind: 'sqlite' | 'mongo';
  readonly dataDir: string;
  ping(): Promise<void>;
  /** The store's log and its checkpoints (SQLite), for /metrics and the warn log; read-only. */
  logHealth(): LogHealth;
  close(): Promise<void>;
}

/**
 * The verify service's role (contract §3): one read answers a check, check records are written
 * in batches, and the service signs with its own status keys. Nothing here reads a license
 * key or writes a license, user or key.
 */
export interface CheckStore {
  /** The check chain, forks and nonce window shared by every instance (issue #17). */
  readonly chains: CheckChainStore;
  getCheckView(licenseId: string): Promise<CheckView | null>;
  recordChecks(records: CheckRecord[]): Promise<void>;
  /**
   * Records refused checks of licenses that exist (check.failed webhooks): an insert per fact by
   * its fixed id (one per license, reason and hour); a fact already there is left alone.
   */
  recordCheckFailures(failures: CheckFailure[]): Promise<void>;
  /** Active status key first; reads only status-purpose private keys. */
  loadStatusSigningKeys(passphrase?: string): Promise<Ed25519KeyPair[]>;
  /** The signed key set versions after `afterSeq`, oldest first (public: relayed with statuses). */
  listKeysets(afterSeq: number): Promise<KeysetRecord[]>;
  /**
   * The key set version each checking installation reported (check v2 `keyset`): recorded per
   * installation when it changes (key-usage-port.ts). Returns how many were recorded.
   */
  recordKeysetReports(reports: readonly KeysetReport[]): Promise<number>;
  /**
   * The license revision each checking installation reported holding (a check's `rev`): the
   * highest per license and installation, never lowered (key-usage-port.ts). Returns how many
   * were recorded.
   */
  recordRevisionReports(reports: readonly RevisionReport[]): Promise<number>;
  /** The products' key set versions after `afterSeq` (public: relayed to each product's checks). */
  listProductKeysets(afterSeq: number): Promise<ProductKeysetRecord[]>;
  ping(): Promise<void>;
  /**
   * The store's log and its checkpoints (log-health.ts): a SQLite store's checkpoint failures,
   * its checkpoint thread, the log's size; on MongoDB, that the server keeps its own. Reads no
   * record and writes nothing.
   */
  logHealth(): LogHealth;
  close(): Promise<void>;
}

/**
 * The issuing record: the transaction log and the views it leads to (licenses, customers,
 * installations), approval requests, and the check records the service wrote. Every write is
 * `commitTransaction` (atomic on SQLite, crash-safe by roll-forward on MongoDB) or `putRequest`.
 */
export interface LedgerStore {
  /** Writes the transaction, then the records it leads to, then marks it applied. */
  commitTransaction(transaction: Transaction): Promise<CommitOutcome>;
  /** Writes the records an already stored transaction leads to (idempotent). */
  applyTransaction(transaction: Transaction): Promise<void>;
  listUnappliedTransactions(licenseId?: string): Promise<Transaction[]>;
  getTransaction(id: string): Promise<Transaction | null>;
  /** The transaction whose token answers this challenge. */
  findTransactionByChallenge(challengeHash: string): Promise<TokenTransaction | null>;
  listTransactions(filter: TransactionFilter): Promise<Transaction[]>;

  getLicense(id: string): Promise<License | null>;
  listLicenses(filter: LicenseFilter): Promise<License[]>;
  /**
   * Licenses issued from plan `planId` at a revision below `revision` and not revoked (a changed
   * plan's affected licenses), by (plan revision, id): the `limit` after `after` (null: from the
   * first). A page is a range on an index, whatever the page's depth and the plan's size.
   */
  listLicensesOfOlderPlanRevision(
    planId: string,
    revision: number,
    after: PlanRevisionKey | null,
    limit: number,
  ): Promise<License[]>;
  /**
   * Active subscriptions whose term ends at or after `from` and before `before` (seconds), by
   * (term end, id): the `limit` after `after` (null: from the first). A page is a range on the
   * term-end index whatever its depth (`listLicenses` orders by last change, so each of its pages
   * of a window of term ends sorts the whole window). What the subscription.expiring scan reads.
   */
  listSubscriptionsEnding(
    from: number,
    before: number,
    after: TermEndKey | null,
    limit: number,
  ): Promise<License[]>;
  getCustomer(id: string): Promise<Customer | null>;
  /**
   * The customer of this name, the lowest id first: exactly, else ignoring ASCII case (as the
   * customers' name order); `except`: a customer id to leave out (the one being renamed).
   */
  findCustomerByName(name: string, except?: string): Promise<Customer | null>;
  listCustomers(page?: CustomerPage): Promise<Customer[]>;
  getInstallation(id: string): Promise<Installation | null>;
  /** Licenses bound to an installation. */
  listLicensesOfInstallation(installationId: string): Promise<License[]>;

  /** Approval requests, one per challenge: inserts unless one exists; returns the stored one. */
  putRequest(request: ApprovalRequest): Promise<ApprovalRequest>;
  getRequest(id: string): Promise<ApprovalRequest | null>;
  findRequestByChallenge(challengeHash: string): Promise<ApprovalRequest | null>;
  listRequests(filter: RequestFilter): Promise<ApprovalRequest[]>;

  /** Check records of a license, newest first (only those still kept raw, see CheckRetention). */
  listChecks(licenseId: string, limit?: number): Promise<CheckRecord[]>;
  /** The license's newest check, from the raw records or, past the window, the roll-ups. */
  lastCheck(licenseId: string): Promise<LastCheck | null>;
  /**
   * A license's checks per UTC day, oldest first: the roll-ups of days whose raw records were
   * dropped, and the raw records of the days still kept, in one shape. What usage charts read.
   */
  dailyUsage(licenseId: string, range?: DayRange): Promise<DailyUsage[]>;

  /**
   * Bulk load (seed data, imports): stores already-signed transactions and writes the records
   * each leads to, as `commitTransaction` does, but many in one store write and without webhook
   * events (an import is history: it fires none on either store). Every transaction
   * must be new: one whose challenge or log position is taken is ERR_INPUT_INVALID (SQLite then
   * stores none of the batch; MongoDB, without multi-document transactions, keeps those before
   * the clash, whole).
   */
  importTransactions(transactions: Transaction[]): Promise<void>;
  /**
   * Bulk load of check records (seed data, a move from another store): stores each record of
   * `records` whose id is new. SQLite loads them in one transaction (all or none) and, when
   * `expected` is more than the table holds, builds the table's indexes after the rows instead
   * of growing them record by record (writers wait meanwhile; readers do not). MongoDB inserts
   * them unordered, 10,000 a write (those written before a failure stay).
   */
  importChecks(records: Iterable<CheckRecord>, expected?: number): Promise<ChecksImport>;
  /**
   * Bulk load of approval requests: stores each one whose id and challenge are new, with its
   * request.created webhook event, as putRequest does, in one write per batch. Returns how many
   * were new.
   */
  importRequests(requests: ApprovalRequest[]): Promise<number>;
}

export interface ChecksImport {
  /** Records read from the iterable, and those stored (a record whose id was there is not). */
  read: number;
  written: number;
  /** The indexes SQLite built after the load (none when it grew them as it went). */
  indexesRebuilt: string[];
}

/**
 * Bounded growth of the check records: raw records older than the window are rolled up per
 * license per UTC day (count, outcomes, usage min/max/last), then dropped, in small batches.
 * Crash-safe: a job stopped at any point leaves every check counted exactly once (in a roll-up
 * or as a raw record) and the next run carries on.
 */
export interface CheckRetention {
  rollUpChecks(options: RollUpOptions): Promise<RollUpResult>;
}

/**
 * The vendor's append-only audit log, a hash chain (store/audit-chain.ts): each appended event
 * gets the next sequence number and the hash of the entry before it, one writer at a time per
 * position (unique insert). An event with an existing id is ignored: appends retry.
 */
export interface AuditLog {
  appendAuditEvent(event: AuditEvent): Promise<void>;
  listAuditEvents(filter: AuditFilter): Promise<AuditEvent[]>;
  /** The newest chained entry, or null before the first append of a chained Licensor. */
  auditChainHead(): Promise<AuditChainHead | null>;
  /**
   * Starts the chain if it has no entry yet: writes its anchor (seq 1, `audit.anchor`) over the
   * entries written before it. Gives the head either way.
   */
  anchorAuditChain(at: number): Promise<AuditChainHead>;
  /** Chained entries with `seq > afterSeq`, in sequence order, at most `limit`. */
  listAuditChain(afterSeq: number, limit: number): Promise<ChainedAuditEvent[]>;
  /** Entries written before the chain (no seq), oldest first by time then id, after `after`. */
  listLegacyAuditEvents(
    after: { at: number; id: string } | null,
    limit: number,
  ): Promise<AuditEvent[]>;
}

/** Vendor users of the portal and the CLI. */
export interface AccountStore {
  insertUser(user: VendorUser, passwordHash: string): Promise<void>;
  getUserByName(name: string): Promise<(VendorUser & { passwordHash: string }) | null>;
  listUsers(): Promise<VendorUser[]>;
  updateUser(
    id: string,
    patch: Partial<Pick<VendorUser, 'role' | 'disabled' | 'updatedAt'>> & {
      passwordHash?: string;
      /** With a new password: whether it is one-time (false clears the mark). */
      passwordOneTime?: boolean;
    },
  ): Promise<void>;
}

/** Signing keys and the signed key sets: the issuer's, who alone changes them. */
export interface KeyStore {
  insertSigningKey(record: SigningKeyRecord, privateKey: StoredPrivateKey): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Private halves of one purpose that sign or are about to: the signing (`active`) key first,
   * then `next` ones. The query filters by purpose and scope: the vendor's own keys, or with
   * `product` (a catalogue id) that product's license keys.
   */
  readPrivateKeys(purpose: KeyPurpose, product?: string | null): Promise<StoredPrivateKey[]>;
  /**
   * The newest key of a purpose sealed under a secret, whatever its state (retired and revoked
   * too) and scope (the vendor's or a product's): opening it proves the secret before another
   * key is sealed with it. null: none is sealed.
   */
  readSealedKey(purpose: KeyPurpose): Promise<StoredPrivateKey | null>;
  /** Moves a key to `to` when its state is one of `from`; null (nothing written) otherwise. */
  setSigningKeyState(
    kid: string,
    from: readonly KeyStatus[],
    to: KeyStatus,
    at: number,
  ): Promise<SigningKeyRecord | null>;
  /** Stores a version of the key set; false when that version number is taken. */
  insertKeyset(keyset: KeysetRecord): Promise<boolean>;
  /** Versions of the key set after `afterSeq`, oldest first (shared with the check role). */
  listKeysets(afterSeq: number): Promise<KeysetRecord[]>;
  /**
   * The number of the newest key set version (null: none published yet): one indexed read. Every
   * change of a key's state publishes a new version, so the signing keys read while it was N are
   * the signing keys until it moves (the issuer keeps them per version, license-keys.ts).
   */
  latestKeysetSeq(): Promise<number | null>;
  /** Stores a version of a product's key set; false when that product's version is taken. */
  insertProductKeyset(keyset: ProductKeysetRecord): Promise<boolean>;
  /** Versions of every product's key set after `afterSeq`, by seq (shared with the check role). */
  listProductKeysets(afterSeq: number): Promise<ProductKeysetRecord[]>;
}

/** The portal's automation and accounts records: API tokens, sessions, login limits. */
export interface AutomationPort {
  readonly automation: AutomationStore;
}

/** The portal users' second factor (TOTP, recovery codes, policy). */
export interface TwoFactorPort {
  readonly twoFactor: TwoFactorStore;
}

/** The portal's single sign-on records (logins in flight, linked identities). */
export interface SsoPort {
  readonly sso: SsoStore;
}

/** What the issuer side turns into events no issuer write causes (check.*, usage.near-cap). */
export interface EventSourcesPort {
  readonly eventSources: EventSourceStore;
}

/** What the Signing keys page counts: tokens signed per key, installations per key set. */
export interface KeyUsagePort {
  readonly keyUsage: KeyUsageStore;
}

/** The chains whole: the vendor closes forks and sets fork policies (the check role cannot). */
export interface ForkAdmin {
  readonly chains: ChainStore;
}

/** Every role at once: what the issuer (CLI, portal) opens. Both adapters implement it. */
export type LicensorStore = StoreHandle &
  CheckStore &
  ForkAdmin &
  CheckRetention &
  LedgerStore &
  AuditLog &
  AccountStore &
  KeyStore &
  AutomationPort &
  TwoFactorPort &
  SsoPort &
  EventSourcesPort &
  KeyUsagePort &
  CatalogStore &
  UsageWatchStore;

export type { CatalogStore } from '../catalog/types.js';
export type { LicenseLastCheck, UsageWatchStore } from './usage-watch-port.js';
