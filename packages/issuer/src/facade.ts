// The Issuer object the CLI and the portal drive (built by `openIssuer`), with what its calls take
// and give back. Records are in records.ts, the store's role ports in store/ports.ts.

import type { ChallengeClaims, Jwks, KeyPurpose, PublicJwk } from '@licensor/token';
import type {
  ApprovalRequest,
  AuditEvent,
  CheckRecord,
  Customer,
  Installation,
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
import type {
  AuditFilter,
  LicenseFilter,
  LicensorStore,
  RequestFilter,
  TransactionFilter,
} from './store/ports.js';

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
  transaction: TokenTransaction | null;
  /** The approval request this challenge needs (created by the inspection), if any. */
  approvalRequest: ApprovalRequest | null;
}

export interface IssueResult {
  /** The license key (compact license token). */
  token: string;
  transaction: TokenTransaction;
  license: License;
  /** True when this is the stored answer to an earlier identical issue. */
  replayed: boolean;
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
  lastCheck: CheckRecord | null;
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
