// The records the issuer keeps, one type each: what the store holds and the API shows. Claims are
// never re-declared here: anything about the signed messages comes from @licensor/token.
//
// Units: record times (`at`, `createdAt`, …) are milliseconds since the epoch; anything that is
// also a claim (a subscription `term`) keeps the claims' unit, whole seconds.

import type {
  ChallengeClaims,
  CheckOutcome,
  KeyPurpose,
  LicenseClaims,
  LicenseModel,
  LimitRequest,
  PublicJwk,
} from '@licensor/token';
import type { LicenseEntitlements } from './catalog/types.js';

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
  /** The plan it was issued from and the entitlements of its newest token (catalog/types.ts). */
  entitlements?: LicenseEntitlements;
}

/**
 * Every change the vendor makes, one record each, and the source of truth of the store. A
 * transaction carries the full records it leads to (`licenseAfter`, …); applying it is writing
 * those over older versions, so it can be repeated after a crash and still give the same result.
 *
 * A union by `kind`: each kind fixes which members it fills. Every member is present in every
 * kind (null where the kind has none), so the stored body and the API keep one shape.
 */
export type Transaction =
  | TokenTransaction
  | StateTransaction
  | RejectRequestTransaction
  | RenameCustomerTransaction;

export type TransactionKind = Transaction['kind'];

interface TransactionBase {
  id: string; // txn_…
  at: number;
  operator: Operator;
  /** False between the write of the transaction and the write of the records it leads to. */
  applied: boolean;
}

/** Signs a license token: a challenge answered (`issue`), a renewal, or an approved request. */
export interface TokenTransaction extends TransactionBase {
  kind:
    | 'issue' // a token answering a challenge
    | 'renew' // a token with a longer term, delivered online (answers no challenge)
    | 'reissue' // a token with changed entitlements (a plan's new revision, add-ons), delivered online
    | 'model-switch' // approval of a model-switch request: a token with the new model
    | 'rehost' // approval of a rehost request: the license moves to another installation
    | 'resign'; // the same token re-signed by a newly activated license key, delivered online
  licenseId: string;
  customerId: string;
  installationId: string;
  /** Position in the license's log. */
  seq: number;
  /** Revision of the token this transaction signs. */
  revision: number;
  /** The challenge answered; null for a renewal. */
  challengeHash: string | null;
  challengeId: string | null;
  /** The approval request decided (model-switch, rehost). */
  requestId: string | null;
  /** The terms as asked (issue, approval); null for a renewal. */
  terms: Terms | null;
  token: string;
  /** The license-purpose key that signed `token`. */
  kid: string;
  /** Why, when the token is not the answer to a request (a re-signing says which key). */
  reason: string | null;
  licenseAfter: License;
  /** The customer when this token creates or renames it. */
  customerAfter: Customer | null;
  /** The installation when this token answers one of its challenges. */
  installationAfter: Installation | null;
}

/** A change of a license's state; no token is signed. */
export interface StateTransaction extends TransactionBase {
  kind: 'revoke' | 'suspend' | 'resume';
  licenseId: string;
  customerId: string;
  installationId: string | null;
  seq: number;
  revision: null;
  challengeHash: null;
  challengeId: null;
  requestId: null;
  terms: null;
  token: null;
  kid: null;
  reason: string | null;
  licenseAfter: License;
  customerAfter: null;
  installationAfter: null;
}

/** The vendor declines a model switch or a rehost: issuing for that challenge is refused. */
export interface RejectRequestTransaction extends TransactionBase {
  kind: 'reject-request';
  licenseId: string;
  customerId: null;
  installationId: string;
  seq: null;
  revision: null;
  challengeHash: string;
  challengeId: null;
  requestId: string;
  terms: null;
  token: null;
  kid: null;
  reason: string | null;
  licenseAfter: null;
  customerAfter: null;
  installationAfter: null;
}

/** The vendor's record of a customer changes name; the next token of each license carries it. */
export interface RenameCustomerTransaction extends TransactionBase {
  kind: 'rename-customer';
  licenseId: null;
  customerId: string;
  installationId: null;
  seq: null;
  revision: null;
  challengeHash: null;
  challengeId: null;
  requestId: null;
  terms: null;
  token: null;
  kid: null;
  reason: string | null;
  licenseAfter: null;
  customerAfter: Customer;
  installationAfter: null;
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

/**
 * A signing key's place in its life: `next` (published in the key set and trusted, not yet
 * signing), `active` (signs; one per purpose), `retired` (no longer signs; still in the key set,
 * so what it signed keeps verifying until it is revoked), `revoked` (trusted by nobody).
 */
export type KeyStatus = 'next' | 'active' | 'retired' | 'revoked';

/** Public facts about a signing key; the private half never leaves the key module. */
export interface SigningKeyRecord {
  kid: string;
  purpose: KeyPurpose;
  publicKey: PublicJwk;
  status: KeyStatus;
  /**
   * `encrypted`: AES-256-GCM in the store; `file`: plain, in a 0600 file under the data folder;
   * `pkcs11`: made and kept in an HSM, named by `hsm` (the store holds no private half).
   */
  protection: 'encrypted' | 'file' | 'pkcs11';
  /** Where a `pkcs11` key is: the token's label and the key's label on it. */
  hsm?: HsmKeyLocation;
  /**
   * A license key of one product (its catalogue id, `prd_…`): it signs that product's licenses
   * only. Absent: the vendor's own key (every product trusts it; it alone signs key sets).
   */
  product?: string;
  createdAt: number;
  /** When it began to sign (null while `next`). */
  activatedAt: number | null;
  retiredAt: number | null;
  revokedAt: number | null;
}

/**
 * One version of the signed key set (`licensor-keyset+jwt`): the public keys an installation
 * should trust, signed by a license key the previous version trusts. Versions form a chain.
 */
export interface KeysetRecord {
  /** Version number: 1, 2, … one per change of the key states. */
  seq: number;
  /** The compact keyset token. */
  token: string;
  /** The license key that signed it. */
  signedBy: string;
  /** The kids it lists. */
  kids: string[];
  createdAt: number;
}

/**
 * A version of one product's key set (key set format 2, `scope` = the product's name): the
 * vendor's keys and that product's license keys, numbered in the one sequence of versions.
 */
export interface ProductKeysetRecord extends KeysetRecord {
  /** The product's catalogue id. */
  productId: string;
  /** Its name as signed in the set (`scope`): what the product's SDK reports in a check. */
  product: string;
}

/** A key in a PKCS#11 token: what the store records instead of its private half. */
export interface HsmKeyLocation {
  token: string;
  label: string;
}

export interface VendorUser {
  id: string; // usr_…
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  /**
   * The password was set by someone else (generated by `users add`, or set by an admin): a
   * one-time password the user must replace with their own at the next login. Absent otherwise.
   */
  passwordOneTime?: true;
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
  /**
   * The key set version the check said its installation trusts (check v2 `keyset`). Not kept
   * with the check record: the verify service writes it per installation (recordKeysetReports).
   */
  keyset?: number;
  /**
   * The license revision the check said its installation holds in force (the check's `rev`).
   * Not kept with the check record (those are rolled up and dropped): the verify service writes
   * the highest per license and installation (recordRevisionReports), which `keys revoke` reads.
   */
  rev?: number;
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
  /**
   * Requests of this license the vendor declined, newest first (at most DECLINED_IN_VIEW):
   * a check relays those of its own installation whose challenge has not expired (status v2
   * `rejected`). Absent: none.
   */
  rejected?: DeclinedRequestView[];
}

/** A declined request as a check relays it to the installation that made it. */
export interface DeclinedRequestView {
  installationId: string;
  /** challengeHash() of the declined challenge: how the installation finds its pending one. */
  challengeHash: string;
  /** The declined challenge's own end (seconds): relayed until then, as it is pending until then. */
  expiresAt: number;
  /** When the vendor declined it (ms). */
  decidedAt: number;
  reason: string | null;
}

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
  /** The plan (id or name) to issue from; the other terms must lie within its bounds. */
  plan?: string;
  /** Features beyond the plan's (add-ons the plan allows; any feature without a plan). */
  features?: string[];
  /** Limits: a plan's within its bounds, or any limit without a plan. */
  limits?: LimitRequest[];
}
