// The vendor-side domain of Licensor, as types: the records the issuer keeps, the store interface
// both adapters (SQLite, MongoDB) implement, and the Issuer object the CLI and the portal drive.
// Claims are never re-declared here: anything about the four messages comes from @licensor/token.
//
// Units: record times (`at`, `createdAt`, …) are milliseconds since the epoch; anything that is
// also a claim (a subscription `term`) keeps the claims' unit, whole seconds.

import type {
  ChallengeClaims,
  CheckOutcome,
  Ed25519KeyPair,
  Jwks,
  KeyPurpose,
  LicenseClaims,
  LicenseModel,
  PublicJwk,
} from '@licensor/token';

// ---------------------------------------------------------------------------------------------
// Records

/** Who did something: a vendor user's name, or `cli:<os user>` for the CLI. */
export type Operator = string;

export type LicenseState = 'active' | 'suspended' | 'revoked';
export type Role = 'admin' | 'issuer' | 'viewer';
/** A subscription term as it appears in a license token (seconds). */
export type Term = NonNullable<LicenseClaims['term']>;

export interface Customer {
  id: string; // cus_…
  name: string;
  /** Grows with each change; a change is applied only over an older version. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** An installation is its key pair: the id is the RFC 7638 thumbprint of its public key. */
export interface Installation {
  id: string;
  publicKey: PublicJwk;
  product: { name: string; version: string };
  firstSeenAt: number;
  lastSeenAt: number;
}

/**
 * A license as the newest applied transaction left it. It is a materialised view of the
 * transaction log: `seq` is the position of that transaction in the license's log.
 */
export interface License {
  id: string; // lic_…
  customerId: string;
  /** Customer name in the newest token (what the installation shows). */
  customerName: string;
  state: LicenseState;
  model: LicenseModel;
  credentials: number;
  /** Revision of the newest token; 1 for the first. */
  revision: number;
  term: Term | null;
  /** The installation the license is bound to, and its public key (so one read answers a check). */
  installationId: string | null;
  installationKey: PublicJwk | null;
  /** Newest license token for that installation, handed over by the verify service. */
  latestToken: string | null;
  latestTransactionId: string;
  /** Why it was last suspended or revoked. */
  stateReason: string | null;
  seq: number;
  createdAt: number;
  updatedAt: number;
}

export type TransactionKind =
  | 'issue' // a token answering a challenge
  | 'renew' // a token with a longer term, delivered online
  | 'model-switch' // approval of a model-switch request: a token with the new model
  | 'rehost' // approval of a rehost request: the license moves to another installation
  | 'revoke'
  | 'suspend'
  | 'resume'
  | 'reject-request'
  | 'rename-customer';

/**
 * Every change the vendor makes, one record each, and the source of truth of the store. A
 * transaction carries the full records it leads to (`licenseAfter`, …); applying it is writing
 * those over older versions, so it can be repeated after a crash and still give the same result.
 */
export interface Transaction {
  id: string; // txn_…
  kind: TransactionKind;
  at: number;
  operator: Operator;
  licenseId: string | null;
  customerId: string | null;
  installationId: string | null;
  /** Position in the license's log (null when the license does not change). */
  seq: number | null;
  /** Revision of the token signed by this transaction (null when no token). */
  revision: number | null;
  challengeHash: string | null;
  challengeId: string | null;
  requestId: string | null;
  terms: Terms | null;
  token: string | null;
  kid: string | null;
  reason: string | null;
  licenseAfter: License | null;
  customerAfter: Customer | null;
  installationAfter: Installation | null;
  /** False between the write of the transaction and the write of the records it leads to. */
  applied: boolean;
}

export type RequestKind = 'model-switch' | 'rehost';
export type RequestStatus = 'pending' | 'approved' | 'rejected';

/** A challenge the vendor must approve before a token is issued for it. */
export interface ApprovalRequest {
  id: string; // req_…
  kind: RequestKind;
  status: RequestStatus;
  licenseId: string;
  installationId: string;
  challenge: string;
  challengeHash: string;
  /** What the installation asks for (the challenge's `request` member). */
  asked: ChallengeClaims['request'];
  createdAt: number;
  createdBy: Operator;
  decidedAt: number | null;
  decidedBy: Operator | null;
  reason: string | null;
  transactionId: string | null;
}

export type KeyStatus = 'active' | 'inactive' | 'retired';

/** Public facts about a signing key; the private half never leaves the key module. */
export interface SigningKeyRecord {
  kid: string;
  purpose: KeyPurpose;
  publicKey: PublicJwk;
  /** Newest non-retired key of its purpose is the active one. */
  status: KeyStatus;
  /** `encrypted`: AES-256-GCM in the store; `file`: plain, in a 0600 file under the data folder. */
  protection: 'encrypted' | 'file';
  createdAt: number;
  retiredAt: number | null;
}

export interface VendorUser {
  id: string; // usr_…
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Append-only: the store has no call that changes or deletes one. */
export interface AuditEvent {
  id: string; // evt_…
  at: number;
  actor: Operator;
  /** `license.issue`, `license.revoke`, `key.rotate`, `user.add`, `request.create`, … */
  action: string;
  subjectId: string | null;
  transactionId: string | null;
  details: Record<string, unknown>;
}

/** One online check the verify service answered (contract §3). */
export interface CheckRecord {
  id: string; // chk_…
  at: number;
  licenseId: string;
  installationId: string;
  sdkVersion: string;
  credentialsInUse: number;
  outcome: CheckOutcome;
}

/** One read answers a check (contract §3). */
export interface CheckView {
  licenseId: string;
  state: LicenseState;
  model: LicenseModel;
  revision: number;
  term: Term | null;
  installationId: string | null;
  installationKey: PublicJwk | null;
  latestToken: string | null;
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs of the domain

/** What the vendor decides when issuing (contract §5). */
export interface Terms {
  customerName: string;
  customerId?: string;
  model: LicenseModel;
  credentials: number;
  /** Subscription only: length of the term, from now. */
  termDays?: number;
  /** Subscription only: offline grace after the last successful check. */
  graceDays?: number;
}

export type FindingKind =
  | 'new-installation' // the store has never seen this installation
  | 'installation-bound-elsewhere' // this installation holds another license
  | 'rehost' // the challenge names a license bound to another installation (clone or move)
  | 'license-unknown' // the challenge names a license this store does not have
  | 'revision-behind' // the installation's token is older than the record
  | 'revision-ahead' // the installation claims a revision the record never issued
  | 'license-suspended'
  | 'license-revoked'
  | 'model-switch' // the installation asks to change model
  | 'credentials-change'
  | 'customer-name-change'
  | 'challenge-expired'
  | 'already-issued'; // a key was issued for this challenge: issuing again returns it

export interface Finding {
  kind: FindingKind;
  message: string;
}

/** Everything the vendor must know about a pasted challenge before issuing. */
export interface Inspection {
  challengeId: string;
  challengeHash: string;
  installationId: string;
  installationKey: PublicJwk;
  product: ChallengeClaims['product'];
  usage: ChallengeClaims['usage'];
  /** What the installation says it holds, and what it asks for. */
  claimedLicense: ChallengeClaims['license'];
  asked: ChallengeClaims['request'];
  issuedAt: number; // seconds
  expiresAt: number; // seconds
  expired: boolean;
  license: License | null;
  customer: Customer | null;
  installation: Installation | null;
  findings: Finding[];
  /** Terms to prefill: the record's, with the changes the installation asks for. */
  suggestedTerms: Terms;
  /** The key already issued for this challenge, if any. */
  transaction: Transaction | null;
  /** The approval request this challenge needs (created by the inspection), if any. */
  approvalRequest: ApprovalRequest | null;
}

export interface IssueResult {
  /** The license key (compact license token). */
  token: string;
  transaction: Transaction;
  license: License;
  /** True when this is the stored answer to an earlier identical issue. */
  replayed: boolean;
}

export interface LicenseChange {
  license: License;
  transaction: Transaction;
}

export interface LicenseDetail {
  license: License;
  customer: Customer | null;
  installation: Installation | null;
  transactions: Transaction[];
  requests: ApprovalRequest[];
  lastCheck: CheckRecord | null;
}

export interface LicenseFilter {
  state?: LicenseState;
  model?: LicenseModel;
  customerId?: string;
  installationId?: string;
  /** Matches the license id or the customer name (case-insensitive substring). */
  q?: string;
  /** Subscriptions whose term ends before this time (seconds). */
  termEndsBefore?: number;
  limit?: number;
  offset?: number;
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
}

export interface AuditFilter {
  subjectId?: string;
  actor?: string;
  action?: string;
  /** Only events at or after this time (ms). */
  since?: number;
  limit?: number;
}

export interface RenewOptions {
  termDays: number;
  graceDays?: number;
}

/** Terms of an approval; defaults: the license's credentials, 365-day term, 30-day grace. */
export interface ApproveOptions {
  credentials?: number;
  termDays?: number;
  graceDays?: number;
}

export interface ApprovalResult extends IssueResult {
  request: ApprovalRequest;
}

export interface InitResult {
  /** Keys created by this call (none when the issuer was already initialised). */
  created: SigningKeyRecord[];
  keys: SigningKeyRecord[];
}

// ---------------------------------------------------------------------------------------------
// The store

/** Private half of a signing key as kept by the store (never returned by the Issuer). */
export type StoredPrivateKey =
  | { kid: string; purpose: KeyPurpose; protection: 'file' }
  | {
      kid: string;
      purpose: KeyPurpose;
      protection: 'encrypted';
      /** AES-256-GCM of the 32-byte seed, key = scrypt(passphrase, salt), AAD = `purpose:kid`. */
      sealed: SealedSecret;
    };

export interface SealedSecret {
  alg: 'A256GCM+scrypt';
  salt: string; // base64url
  n: number;
  r: number;
  p: number;
  iv: string;
  ciphertext: string;
  tag: string;
}

export type CommitOutcome =
  | { status: 'committed' }
  /** A transaction for the same challenge exists: it is returned, applied. */
  | { status: 'challenge-used'; existing: Transaction }
  /** Another transaction took this position in the license's (or customer's) log. */
  | { status: 'conflict' };

export interface StoreOptions {
  /** Folder of the SQLite file `licensor.db` and of plain key files. Default `./.licensor-issuer`. */
  dataDir?: string;
  /** MongoDB connection string: selects the MongoDB adapter. */
  mongoUri?: string;
}

/**
 * One interface, two adapters. The first five members are the contract with the verify
 * service (§3); the rest is what the issuer domain needs. Every write is either a single record
 * or `commitTransaction`, which is atomic on SQLite and crash-safe by roll-forward on MongoDB.
 */
export interface LicensorStore {
  readonly kind: 'sqlite' | 'mongo';
  readonly dataDir: string;

  getCheckView(licenseId: string): Promise<CheckView | null>;
  recordChecks(records: CheckRecord[]): Promise<void>;
  /** Active status key first; reads only status-purpose private keys. */
  loadStatusSigningKeys(passphrase?: string): Promise<Ed25519KeyPair[]>;
  ping(): Promise<void>;
  close(): Promise<void>;

  // The transaction log.
  /** Writes the transaction, then the records it leads to, then marks it applied. */
  commitTransaction(transaction: Transaction): Promise<CommitOutcome>;
  /** Writes the records an already stored transaction leads to (idempotent). */
  applyTransaction(transaction: Transaction): Promise<void>;
  listUnappliedTransactions(licenseId?: string): Promise<Transaction[]>;
  getTransaction(id: string): Promise<Transaction | null>;
  findTransactionByChallenge(challengeHash: string): Promise<Transaction | null>;
  listTransactions(filter: TransactionFilter): Promise<Transaction[]>;

  // Views the log leads to.
  getLicense(id: string): Promise<License | null>;
  listLicenses(filter: LicenseFilter): Promise<License[]>;
  getCustomer(id: string): Promise<Customer | null>;
  findCustomerByName(name: string): Promise<Customer | null>;
  listCustomers(): Promise<Customer[]>;
  getInstallation(id: string): Promise<Installation | null>;
  /** Licenses bound to an installation. */
  listLicensesOfInstallation(installationId: string): Promise<License[]>;

  // Approval requests: one per challenge.
  /** Inserts the request unless one exists for its challenge; returns the stored one. */
  putRequest(request: ApprovalRequest): Promise<ApprovalRequest>;
  getRequest(id: string): Promise<ApprovalRequest | null>;
  findRequestByChallenge(challengeHash: string): Promise<ApprovalRequest | null>;
  listRequests(filter: RequestFilter): Promise<ApprovalRequest[]>;

  // Checks.
  listChecks(licenseId: string, limit?: number): Promise<CheckRecord[]>;

  // Audit log (append-only; an event with an existing id is ignored, so appends can be retried).
  appendAuditEvent(event: AuditEvent): Promise<void>;
  listAuditEvents(filter: AuditFilter): Promise<AuditEvent[]>;

  // Signing keys.
  insertSigningKey(record: SigningKeyRecord, privateKey: StoredPrivateKey): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Non-retired private halves of one purpose, newest first (the query filters by purpose). */
  readPrivateKeys(purpose: KeyPurpose): Promise<StoredPrivateKey[]>;
  retireSigningKey(kid: string, at: number): Promise<void>;

  // Vendor users.
  insertUser(user: VendorUser, passwordHash: string): Promise<void>;
  getUserByName(name: string): Promise<(VendorUser & { passwordHash: string }) | null>;
  listUsers(): Promise<VendorUser[]>;
  updateUser(
    id: string,
    patch: Partial<Pick<VendorUser, 'role' | 'disabled' | 'updatedAt'>> & { passwordHash?: string },
  ): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The issuer

export interface IssuerOptions {
  store: LicensorStore;
  /** Passphrase of the private keys; default env LICENSOR_KEY_PASSPHRASE. */
  passphrase?: string;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

export interface Issuer {
  readonly store: LicensorStore;

  /** Creates a license-use and a status-use key when there are none. Idempotent. */
  init(operator?: Operator): Promise<InitResult>;
  /** Verifies and decodes a challenge; creates the approval request it needs, if any. */
  inspect(challenge: string, operator?: Operator): Promise<Inspection>;
  /** Signs a license token for the challenge; returns only after the transaction is stored. */
  issue(challenge: string, terms: Terms, operator: Operator): Promise<IssueResult>;

  revoke(licenseId: string, operator: Operator, reason?: string): Promise<LicenseChange>;
  suspend(licenseId: string, operator: Operator, reason?: string): Promise<LicenseChange>;
  resume(licenseId: string, operator: Operator, reason?: string): Promise<LicenseChange>;
  /** New token with a longer term, stored for online delivery. */
  renew(licenseId: string, options: RenewOptions, operator: Operator): Promise<IssueResult>;
  approveRequest(
    requestId: string,
    operator: Operator,
    options?: ApproveOptions,
  ): Promise<ApprovalResult>;
  rejectRequest(requestId: string, operator: Operator, reason?: string): Promise<ApprovalRequest>;
  renameCustomer(customerId: string, name: string, operator: Operator): Promise<Customer>;

  listLicenses(filter?: LicenseFilter): Promise<License[]>;
  getLicense(id: string): Promise<LicenseDetail | null>;
  listRequests(filter?: RequestFilter): Promise<ApprovalRequest[]>;
  getRequest(id: string): Promise<ApprovalRequest | null>;
  listCustomers(): Promise<Customer[]>;
  getCustomer(id: string): Promise<Customer | null>;
  listTransactions(filter?: TransactionFilter): Promise<Transaction[]>;
  listChecks(licenseId: string, limit?: number): Promise<CheckRecord[]>;
  listAuditEvents(filter?: AuditFilter): Promise<AuditEvent[]>;

  readonly keys: {
    list(): Promise<SigningKeyRecord[]>;
    rotate(purpose: KeyPurpose, operator: Operator): Promise<SigningKeyRecord>;
    retire(kid: string, operator: Operator): Promise<SigningKeyRecord>;
    /** Public JWKS of every non-retired key: what the SDK trusts. */
    exportJwks(): Promise<Jwks>;
  };

  readonly users: {
    add(name: string, role: Role, password: string, operator?: Operator): Promise<VendorUser>;
    list(): Promise<VendorUser[]>;
    /** The user when the password matches and the user is enabled, otherwise null. */
    authenticate(name: string, password: string): Promise<VendorUser | null>;
    setRole(name: string, role: Role, operator: Operator): Promise<VendorUser>;
    disable(name: string, operator: Operator): Promise<VendorUser>;
    enable(name: string, operator: Operator): Promise<VendorUser>;
    setPassword(name: string, password: string, operator: Operator): Promise<VendorUser>;
  };
}
