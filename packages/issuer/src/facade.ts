// The Issuer object the CLI and the portal drive (built by `openIssuer`), with what its calls take
// and give back. Records are in records.ts, the store's role ports in store/ports.ts.

import type { ChallengeClaims, Jwks, KeyPurpose, LimitRequest, PublicJwk } from '@licensor/token';
import type { CatalogApi } from './catalog/types.js';
import type { AuditChainStatus, AuditExport } from './domain/audit.js';
import type { Dashboard, DashboardOptions } from './domain/dashboard.js';
import type { Finding } from './domain/findings.js';
import type { ForksApi } from './domain/forks.js';
import type {
  ApprovalRequest,
  AuditEvent,
  CheckRecord,
  Customer,
  Installation,
  KeysetRecord,
  License,
  Operator,
  Role,
  SigningKeyRecord,
  StateTransaction,
  Terms,
  TokenTransaction,
  Transaction,
  VendorUser,
} from './records.js';
import type { ForkAction, ForkRecord, ResolvedForkPolicy } from './store/chain-port.js';
import type {
  AuditFilter,
  CustomerPage,
  DailyUsage,
  DayRange,
  LastCheck,
  LicenseFilter,
  LicensorStore,
  RequestFilter,
  TransactionFilter,
} from './store/ports.js';

export type { Finding, FindingKind } from './domain/findings.js';

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
  transaction: TokenTransaction | null;
  /** The approval request this challenge needs (created by the inspection), if any. */
  approvalRequest: ApprovalRequest | null;
  /** What the installation asks for against what the license's plan allows. */
  entitlements: EntitlementsInspection;
}

/** Asked-for features and limits against the plan (catalog/inspect-entitlements.ts). */
export interface EntitlementsInspection {
  /** The plan of the license; null without one (a new license: the issue names it). */
  plan: { id: string; name: string; revision: number } | null;
  /** The catalogue product the challenge names (null: not in the catalogue). */
  product: { id: string; name: string } | null;
  /** Whether the license covers the challenge's product and version (true without a plan). */
  productCovered: boolean;
  /** Format version of the key this installation can read (1: no entitlements in its key). */
  tokenVersion: 1 | 2;
  features: { name: string; asked: boolean; held: boolean; allowed: boolean }[];
  limits: {
    name: string;
    asked: number | null;
    held: number | null;
    inUse: number | null;
    min: number | null;
    max: number | null;
    allowed: boolean;
  }[];
}

export interface IssueOptions {
  /**
   * The installation holds another license in the records (its earlier challenge was answered):
   * issue anyway and revoke that license as superseded by this one. Without it, ERR_INSTALLATION_LICENSED.
   */
  supersede?: boolean;
}

export interface IssueResult {
  /** The license key (compact license token). */
  token: string;
  transaction: TokenTransaction;
  license: License;
  /** True when this is the stored answer to an earlier identical issue. */
  replayed: boolean;
  /**
   * The signed key set versions the installation lacks, oldest first (empty when up to date).
   * `issue` and `approveRequest`: those after the version the challenge says its installation
   * trusts (SDK format 2; none for a format 1 challenge). `renew` and `reissue` (delivered
   * online): those after the version the installation last reported (none for a version 1
   * license). Sent with the key as armour blocks before it (`armourBundle`), the SDK applies
   * them first.
   */
  keysets?: string[];
}

/** A signing key with the license tokens it signed (0 for a status key: it signs statuses). */
export interface SigningKeyUsage extends SigningKeyRecord {
  /** License tokens it signed: every issue, renewal, re-issue, approval and re-signing. */
  tokens: number;
  /** Distinct licenses among them. */
  licenses: number;
}

/** What the Signing keys page shows: each key's tokens, and who trusts which key set. */
export interface KeyUsage {
  keys: SigningKeyUsage[];
  /** The newest published key set version (0: none yet). */
  newestKeyset: number;
  /**
   * Version 0 (the keys installations shipped with) and every published version, oldest
   * first, with how many installations last reported trusting it (check or challenge, SDK
   * format 2).
   */
  keysets: { seq: number; installations: number; publishedAt: number | null }[];
  /** Installations that ever reported a version (format 1 SDKs report none). */
  installationsReporting: number;
  /** Of those, how many trust the newest version. */
  installationsOnNewest: number;
}

export interface LicenseChange {
  license: License;
  transaction: StateTransaction;
}

export interface LicenseDetail {
  license: License;
  customer: Customer | null;
  installation: Installation | null;
  transactions: Transaction[];
  requests: ApprovalRequest[];
  /** The newest online check: a raw record in the window, else the newest day's roll-up. */
  lastCheck: LastCheck | null;
  /** Forks the verify service recorded for this license ("possible copy"), newest first. */
  forks: ForkRecord[];
  /** The fork policy set on this license; null: none (its plan's, else the service's default). */
  forkPolicy: ForkAction | null;
  /** The policy a fork follows: the license's, else its plan's; null: the verify service's default (warn). */
  forkPolicyInForce: ResolvedForkPolicy | null;
}

/** What one run of the auto-renew job does (`issuer.autoRenew`). */
export interface AutoRenewOptions {
  /** A license is due this many days before its term ends (default 7; within the plan's window). */
  leadDays?: number;
  /** Licenses read per page (default 100). */
  batchSize?: number;
  /** Renewals per run at most (default 500): the rest are renewed by the next run. */
  maxRenewals?: number;
}

export interface AutoRenewResult {
  renewed: { licenseId: string; transactionId: string; termEnd: number | null }[];
  /** Due licenses another process renewed first (nothing written for them). */
  overtaken: number;
  /** Due licenses the policy could not renew this time (tried again by the next run). */
  failed: { licenseId: string; code: string; message: string }[];
  /** maxRenewals was reached: more licenses may be due. */
  more: boolean;
}

export interface RenewOptions {
  /** Days added to the term; default the plan's renewal days, when the license has a plan. */
  termDays?: number;
  graceDays?: number;
}

/** Terms of an approval; defaults: the license's credentials, 365-day term, 30-day grace. */
export interface ApproveOptions {
  credentials?: number;
  termDays?: number;
  graceDays?: number;
  /** Issue from this plan (id or name) instead of the license's own. */
  plan?: string;
  features?: string[];
  limits?: LimitRequest[];
}

export interface ApprovalResult extends IssueResult {
  request: ApprovalRequest;
}

/** A license whose installation may still hold a token signed by a revoked key. */
export interface KeyDependent {
  licenseId: string;
  customerName: string;
  model: License['model'];
  installationId: string | null;
  /** The kid of the newest token on record. */
  latestKid: string | null;
  /** When the installation last checked online (null: never). */
  lastCheckAt: number | null;
  /**
   * How it gets a token signed by a trusted key: `online` (it checks online and a newer token,
   * re-signed or renewed, is handed to it at each check, but it has not reported holding it: a
   * Verify License there by a System Administrator applies it; a scheduled one by an operator
   * without that role does not) or `challenge` (it never checked: it sends a challenge and the
   * vendor issues).
   */
  remedy: 'online' | 'challenge';
}

/**
 * An activated key; `alreadyActive` when it was active and its activation complete: no state,
 * key set or audit entry written (only licenses another key still signs re-signed).
 */
export interface KeyActivation extends SigningKeyRecord {
  alreadyActive: boolean;
  /**
   * Licenses this call re-signed with the key (a license key; 0 for a status key): every license
   * in force on an activation, those the retired key still signed when `alreadyActive`.
   */
  resigned: number;
  /** The keys this call retired (the ones it replaced); empty when it replaced none. */
  retired: string[];
}

export interface KeyRevocation {
  key: SigningKeyRecord;
  /** Licenses that may still depend on the key (license keys only; none for a status key). */
  dependents: KeyDependent[];
}

export interface InitResult {
  /** Keys created by this call (none when the issuer was already initialised). */
  created: SigningKeyRecord[];
  keys: SigningKeyRecord[];
}

// ---------------------------------------------------------------------------------------------
// The issuer

export interface IssuerOptions {
  store: LicensorStore;
  /** Seals license keys; default env LICENSOR_KEY_PASSPHRASE. */
  passphrase?: string;
  /** Seals status keys (the verify service's secret); default env LICENSOR_STATUS_KEY_PASSPHRASE. */
  statusPassphrase?: string;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

/** Where a new key is made: `hsm` puts a license key in the PKCS#11 token of the environment. */
export interface NewKeyOptions {
  hsm?: boolean;
  /**
   * A license key of one product (catalogue id or name, #12.1): it signs that product's
   * licenses only. Absent: a key of the vendor's own.
   */
  product?: string;
}

export interface Issuer extends CatalogApi {
  readonly store: LicensorStore;

  /**
   * Creates a license-use and a status-use key when there are none. Idempotent. With `hsm`,
   * the license key is made in the PKCS#11 token named by the environment (LICENSOR_PKCS11_*).
   */
  init(operator?: Operator, options?: NewKeyOptions): Promise<InitResult>;
  /** Verifies and decodes a challenge; creates the approval request it needs, if any. */
  inspect(challenge: string, operator?: Operator): Promise<Inspection>;
  /** Signs a license token for the challenge; returns only after the transaction is stored. */
  issue(
    challenge: string,
    terms: Terms,
    operator: Operator,
    options?: IssueOptions,
  ): Promise<IssueResult>;

  revoke(licenseId: string, operator: Operator, reason?: string): Promise<LicenseChange>;
  suspend(licenseId: string, operator: Operator, reason?: string): Promise<LicenseChange>;
  resume(licenseId: string, operator: Operator, reason?: string): Promise<LicenseChange>;
  /** New token with a longer term, stored for online delivery. */
  renew(licenseId: string, options: RenewOptions, operator: Operator): Promise<IssueResult>;
  /**
   * One run of the auto-renew job: renews the due subscriptions of the plans whose renewal
   * policy renews automatically (`autoRenew`), as `auto-renew` (startAutoRenew runs it hourly).
   */
  autoRenew(options?: AutoRenewOptions): Promise<AutoRenewResult>;
  /**
   * New token with changed entitlements (the plan's current revision, another plan, other
   * add-ons or limits), stored for online delivery; model, credentials and term stay.
   */
  reissue(
    licenseId: string,
    changes: Pick<Terms, 'plan' | 'features' | 'limits'>,
    operator: Operator,
  ): Promise<IssueResult>;
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
  /** A page of customers by name (default 100); `after`: the cursor of the page before. */
  listCustomers(page?: CustomerPage): Promise<Customer[]>;
  getCustomer(id: string): Promise<Customer | null>;
  listTransactions(filter?: TransactionFilter): Promise<Transaction[]>;
  /** Forks of installations: copies or older backups seen by the verify service (issue #17). */
  readonly forks: ForksApi;
  listChecks(licenseId: string, limit?: number): Promise<CheckRecord[]>;
  /** A license's checks per UTC day (roll-ups and the raw days still kept), oldest first. */
  dailyUsage(licenseId: string, range?: DayRange): Promise<DailyUsage[]>;
  /**
   * What needs a look: licenses near their cap, subscriptions whose checks stopped, subscriptions
   * ending soon, open forks (domain/dashboard.ts). Bad options are ERR_INPUT_INVALID.
   */
  dashboard(options?: DashboardOptions): Promise<Dashboard>;
  listAuditEvents(filter?: AuditFilter): Promise<AuditEvent[]>;
  /** The audit log's hash chain (issue #17.3). */
  audit: {
    /** Walks the chain from its anchor to the head; names the first broken entry. */
    verify(): Promise<AuditChainStatus>;
    /**
     * The log as JSON lines closed by a head signed with the active license key
     * (docs/contracts.md); ERR_AUDIT_CHAIN_BROKEN when the chain is broken. Resolves once the
     * whole chain is checked and its head signed; the lines are read from the store, a page at
     * a time, as they are iterated (exportChunks joins them for a stream). An entry changed
     * meanwhile makes the iteration throw ERR_AUDIT_CHAIN_BROKEN before the head line.
     */
    export(): Promise<AuditExport>;
  };

  readonly keys: {
    list(): Promise<SigningKeyRecord[]>;
    /**
     * A `next` key: published in the key set, trusted, not signing until activated. With `hsm`
     * (license keys only) made in the PKCS#11 token.
     */
    rotate(
      purpose: KeyPurpose,
      operator: Operator,
      options?: NewKeyOptions,
    ): Promise<SigningKeyRecord>;
    /**
     * The `next` key signs from now on; the key it replaces is retired. Repeated, it finishes an
     * interrupted activation; once it is complete (`alreadyActive`) it re-signs only the licenses
     * another key still signs (an issue signed by the replaced key committed late).
     */
    activate(kid: string, operator: Operator): Promise<KeyActivation>;
    /** Confirms a retirement (activation retires the replaced key); refuses anything else. */
    retire(kid: string, operator: Operator): Promise<SigningKeyRecord>;
    /** Trusted by nobody from the next key set on; says who still depends on the key. */
    revoke(kid: string, operator: Operator, reason?: string): Promise<KeyRevocation>;
    /**
     * Public JWKS of every key of the vendor's not revoked (next, active, retired): what the SDK
     * trusts. With `product` (id or name), that product's keys too, marked with its name.
     */
    exportJwks(product?: string): Promise<Jwks>;
    /**
     * Every version of the signed key set, oldest first. With `product` (its name), the
     * versions that product's installations walk (its own set where there is one).
     */
    keysets(product?: string): Promise<KeysetRecord[]>;
    /** Tokens signed per key, installations per key set version (the Signing keys page). */
    usage(): Promise<KeyUsage>;
    /** One key's tokens; ERR_KEY_NOT_FOUND for a kid the store does not hold. */
    usageOf(kid: string): Promise<SigningKeyUsage>;
  };

  readonly users: {
    /** `oneTime`: a password made for the user, replaced by them at the next login. */
    add(
      name: string,
      role: Role,
      password: string,
      operator?: Operator,
      options?: { oneTime?: boolean },
    ): Promise<VendorUser>;
    list(): Promise<VendorUser[]>;
    /** One user by name (without regard to case); ERR_USER_NOT_FOUND if none. */
    get(name: string): Promise<VendorUser>;
    /** Refuses a password setPassword would refuse, and writes nothing. */
    checkNewPassword(password: string): void;
    /** The user when the password matches and the user is enabled, otherwise null. */
    authenticate(name: string, password: string): Promise<VendorUser | null>;
    setRole(name: string, role: Role, operator: Operator): Promise<VendorUser>;
    disable(name: string, operator: Operator): Promise<VendorUser>;
    enable(name: string, operator: Operator): Promise<VendorUser>;
    /** `oneTime`: set by someone else, replaced by the user at the next login; else cleared. */
    setPassword(
      name: string,
      password: string,
      operator: Operator,
      options?: { oneTime?: boolean },
    ): Promise<VendorUser>;
  };
}
