// Public types of the SDK: who acts (Operator), what the CMS sees (LicenseInfo), and the
// answers of the operations. Claim shapes come from @licensor/token; nothing here re-declares one.
import type { ChallengeClaims, CheckOutcome, LicenseModel, ProductGrant } from '@licensor/token';

/** What the CMS shows as the license state. */
export type LicenseState = 'none' | 'active' | 'grace' | 'expired' | 'revoked' | 'suspended';

/**
 * Why a license in force is not usable: the local clock was set back (fix the clock, then Verify
 * License), or the subscription term has not begun (state 'none' until term.start). Why a
 * subscription is 'expired': no successful online check within its grace period
 * ('offline-grace': Verify License), its term and grace ended ('term-ended': a renewed key), or
 * the vendor's service answered EXPIRED ('vendor-expired': renew with the vendor).
 */
export type StateReason =
  | 'clock-rollback'
  | 'not-started'
  | 'offline-grace'
  | 'term-ended'
  | 'vendor-expired';

/** The CMS operator on whose behalf an operation runs. */
export interface Operator {
  id: string;
  name?: string;
  roles: readonly string[];
}

/** Operations the authorisation hook is asked about. */
export type OperatorAction =
  | 'challenge'
  | 'apply'
  | 'activate'
  | 'verify'
  | 'view'
  | 'requests'
  | 'audit'
  | 'trust'
  | 'cancel';

/** The CMS's answer to "may this operator do this?". */
export type Authorize = (operator: Operator, action: OperatorAction) => boolean | Promise<boolean>;

export type ChallengeRequest = ChallengeClaims['request'];

/** A challenge this installation made that no license key has answered yet. */
export interface PendingRequest {
  id: string;
  kind: ChallengeRequest['kind'];
  request: ChallengeRequest;
  createdAt: number;
  expiresAt: number;
  requestedBy: string;
  /** The compact challenge token, as sent to the vendor. */
  challenge: string;
}

/**
 * A request closed without a license key: `rejected`, the vendor declined it (a signed status
 * said so, with the vendor's reason); `cancelled`, an operator withdrew it here. A key that
 * answers it later is refused; make a new request.
 */
export interface ClosedRequest extends PendingRequest {
  outcome: 'rejected' | 'cancelled';
  /** rejected: the vendor's signed time of the decision; cancelled: this machine's time (s). */
  closedAt: number;
  /** `vendor`, or the id of the operator who cancelled it. */
  closedBy: string;
  /** The vendor's reason, or the operator's; null when none was given. */
  reason: string | null;
}

/** The outcome of the most recent online check attempt, successful or not. */
export interface CheckAttempt {
  /** Local clock at the attempt (seconds): informational only, never trusted. */
  at: number;
  ok: boolean;
  code: string | null;
  message: string | null;
}

export interface ClockReport {
  /** The local clock (seconds). */
  local: number;
  /**
   * The trusted time (seconds), 0 if none: the latest status's time (the vendor's latest word,
   * also below an earlier one), never below the license token's issue time.
   */
  trusted: number;
  /** The latest of the trusted time and the local times observed since the last signed status. */
  highestSeen: number;
  /** The local clock is behind highestSeen by more than the allowed skew. */
  rollbackDetected: boolean;
  /**
   * Seconds this machine's clock is behind the vendor's (negative: ahead), as the last online
   * check measured it; 0 within the tolerated skew. `local` is already corrected by it.
   */
  offset: number;
  /** The offset in words ("this server's clock is 2 h 10 min behind the vendor's; …"), or null. */
  offsetText: string | null;
}

/** Everything the "View License" page shows, plus the state the SDK derives. */
export interface LicenseInfo {
  state: LicenseState;
  /**
   * Why the license in force is not usable although present (clock-rollback, not-started), or
   * why it expired (offline-grace, term-ended, vendor-expired); else null.
   */
  stateReason: StateReason | null;
  installationId: string;
  product: { name: string; version: string };
  /** Type: perpetual or subscription. */
  type: LicenseModel | null;
  /** Customer name. */
  customer: string | null;
  customerId: string | null;
  licenseId: string | null;
  revision: number | null;
  /** Number of credentials the license allows. */
  credentials: number | null;
  /** License token issue time (token iat, seconds). */
  issuedAt: number | null;
  /** Local time the token was applied here (seconds). */
  appliedAt: number | null;
  transactionId: string | null;
  /** The verify service's signed time of the newest status (seconds). */
  lastVerifyTime: number | null;
  /** The outcome in the newest signed status. */
  lastVerifyResult: CheckOutcome | null;
  /** The newest attempt, which may have failed (unreachable, bad answer) after the last status. */
  lastCheckAttempt: CheckAttempt | null;
  term: null | { start: number; end: number; grace: number };
  /** For a subscription: the latest time it stays usable without a new successful check. */
  usableUntil: number | null;
  /** For a subscription: check online before this time (from the last VALID status). */
  checkBy: number | null;
  pendingRequests: PendingRequest[];
  /** A model switch ("Activate") asked for and not yet completed by a new token. */
  pendingModelSwitch: LicenseModel | null;
  /** Requests closed without a key (declined by the vendor, or cancelled here), newest first. */
  closedRequests: ClosedRequest[];
  /** The vendor key set version trusted: 0 while only the keys it shipped with are. */
  keysetVersion: number;
  clock: ClockReport;
  /**
   * The newest status says this installation's checks left one chain: a copy of it, or an older
   * backup, checked in. To recover a restored backup, make a challenge and send it to the vendor.
   */
  forked: boolean;
  /** License format 2: the plan it was issued from (the vendor's plan id), or null. */
  plan: string | null;
  /** Products the license covers; null = any product. */
  products: ProductGrant[] | null;
  /** Features granted, each `active` while before its own end (trusted time). */
  features: FeatureInfo[];
  /** Named limits beside the credential count; `active` false once past its end (then 0). */
  limits: LimitInfo[];
}

export interface FeatureInfo {
  name: string;
  /** Its own end (seconds), or null: as long as the license. */
  until: number | null;
  active: boolean;
}

export interface LimitInfo {
  name: string;
  value: number;
  until: number | null;
  active: boolean;
}

/** What `capacity(inUse)` and `limitCapacity(name, inUse)` answer. */
export interface Capacity {
  state: LicenseState;
  /** The named limit asked about (absent: the credential count). */
  name?: string;
  /** Number of credentials the license allows (0 without a license). */
  limit: number;
  inUse: number;
  /** How many more credentials may be managed now. */
  available: number;
  /** Why no more can be added, when available is 0. */
  blockedBy:
    | null
    | 'ERR_NO_LICENSE'
    | 'ERR_LICENSE_EXPIRED'
    | 'ERR_LICENSE_REVOKED'
    | 'ERR_LICENSE_SUSPENDED'
    | 'ERR_CLOCK_ROLLBACK'
    | 'ERR_LICENSE_NOT_STARTED'
    | 'ERR_CAPACITY_REACHED';
}

/** What `createChallenge` and `requestModelSwitch` give back. */
export interface ChallengeResult {
  /** The compact challenge token to send to the vendor. */
  challenge: string;
  /** The same challenge in the BEGIN/END armour, 64 columns, for e-mail. */
  armoured: string;
  request: PendingRequest;
}

/** What `applyLicenseKey` gives back. */
export interface ApplyResult {
  licenseId: string;
  revision: number;
  transactionId: string;
  answeredChallenge: string | null;
  /** The vendor key set version applied with the key (it came in the same paste), or null. */
  keysetVersion: number | null;
  info: LicenseInfo;
}

/** What `verifyOnline` gives back: it does not throw when the service cannot be reached. */
export interface VerifyResult {
  /** A signed status was received and accepted. */
  ok: boolean;
  outcome: CheckOutcome | null;
  verifiedAt: number | null;
  error: null | { code: string; message: string };
  /**
   * The vendor's service saw this installation's checks leave one chain: another copy of it (or
   * an older backup) checked from the same point. The vendor decides what follows (the outcome
   * says it: SUSPENDED when the license is set to suspend copies).
   */
  forked: boolean;
  /** Revision of a newer license token the status delivered and that was applied. */
  appliedRevision: number | null;
  /** Why a delivered token was not applied. */
  deliveredTokenRefused: null | { code: string; message: string };
  /** Pending requests this status says the vendor declined: closed by this check. */
  rejectedRequests: ClosedRequest[];
  /** The vendor key set version the status delivered and that was applied, or null. */
  keysetVersion: number | null;
  /** Why delivered key sets were not applied (the status itself still counts). */
  keysetRefused: null | { code: string; message: string };
  info: LicenseInfo;
}

export interface AuditEntry {
  /** Local clock (seconds). */
  at: number;
  operator: { id: string; name: string | null; roles: string[] };
  action: OperatorAction;
  /** refused: a typed error (not allowed, invalid, …); failed: an online check that got no status, or an unexpected error. */
  outcome: 'ok' | 'refused' | 'failed';
  code: string | null;
  detail: string | null;
  /**
   * The state's trusted time when the entry was written (seconds, from signed tokens and
   * statuses; 0 before any). Null on entries written before the audit chain.
   */
  trusted: number | null;
  /** The link of the entry before (null for the first). Null on entries before the chain. */
  prev: string | null;
  /** Keyed digest of this entry and `prev`: the next entry's `prev`. Null before the chain. */
  link: string | null;
}

/** What `verifyAudit` finds: the first entry that breaks the chain, if any. */
export interface AuditVerification {
  /** No entry was deleted, edited, reordered or added by hand, and none is missing at the end. */
  ok: boolean;
  entries: number;
  /** Entries written by an SDK before the chain began: kept, covered by the first link. */
  unchained: number;
  /** The first broken entry (1-based, in file order) and why; null when the chain holds. */
  firstBroken: null | { entry: number; reason: string };
  /**
   * Entries after the last change the state recorded: reads and refusals since (only a change
   * moves the state's anchor), or, when many, a state restored from an older backup.
   */
  unanchored: number;
  /**
   * Lines of the trail that hold the start of an entry cut short by a crash during its append
   * (1-based, in file order): kept in the file, not entries, and linked by none.
   */
  torn: number[];
}
