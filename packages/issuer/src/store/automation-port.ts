// The automation and accounts port of the store: what the portal keeps beside the license
// records so that other systems and more than one portal process can work with it. API tokens
// (stored only as hashes), portal sessions (keyed by a hash of the cookie value), failed-login
// counters (keyed by a hash of account and address). Both adapters implement it in their own
// files (`sqlite/automation.ts`, `mongo/automation.ts`); `LicensorStore.automation` exposes it.
//
// Times are milliseconds since the epoch.

import { ConcurrentUpdateError } from '../errors.js';
import type { AuditEvent } from '../records.js';

/** A role a token may hold: never admin, so a token cannot mint tokens or manage users. */
export type ApiTokenRole = 'issuer' | 'viewer';

export interface ApiTokenRecord {
  id: string; // tok_…
  /** Unique (case-insensitive); the audit log names the token's actions `token:<name>`. */
  name: string;
  role: ApiTokenRole;
  /** SHA-256 (hex) of the secret part: the secret itself is shown once and never stored. */
  secretHash: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

export interface PortalSessionRecord {
  /** SHA-256 (base64url) of the cookie value: a copy of the store holds no usable session. */
  idHash: string;
  csrfToken: string;
  userId: string;
  userName: string;
  role: 'admin' | 'issuer' | 'viewer';
  createdAt: number;
  lastSeenAt: number;
  /** The 2FA policy sends this user to enrol before anything else (see the portal). */
  enrolTwoFactor?: boolean;
  /** Logged in with a one-time password: the password change comes first (see the portal). */
  changePassword?: boolean;
}

export interface AutomationStore extends WebhookStore {
  // Exports.
  /**
   * Audit events with `from <= at < to`, oldest first, after the event `after` (keyset
   * paging: an export reads page by page, never the whole log at once).
   */
  listAuditRange(
    from: number,
    to: number,
    after: { at: number; id: string } | null,
    limit: number,
  ): Promise<AuditEvent[]>;

  // API tokens.
  /** False when a token of that name (any case) exists; nothing is written then. */
  insertApiToken(record: ApiTokenRecord): Promise<boolean>;
  getApiToken(id: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** False when there is no such token or it was already revoked. */
  revokeApiToken(id: string, at: number, by: string): Promise<boolean>;
  touchApiToken(id: string, at: number): Promise<void>;

  // Portal sessions.
  putSession(session: PortalSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<PortalSessionRecord | null>;
  /** Moves lastSeenAt forward (never back). */
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  deleteSessionsOfUser(userId: string): Promise<void>;
  /** Deletes sessions idle since before `idleBefore` or created before `createdBefore`. */
  sweepSessions(idleBefore: number, createdBefore: number): Promise<number>;

  // Failed logins, counted per key over a sliding window (the last `windowMs` before `at`).
  /**
   * Counts one failure; answers the failures of the key in the window, this one included (and
   * any stamped later than `at`: another process's failure that landed first still counts).
   */
  recordLoginFailure(key: string, at: number, windowMs: number): Promise<number>;
  /**
   * Takes back one failure of the key recorded at `at` (an attempt that turned out not to be a
   * failure); the key's other failures, at that time too, stay counted.
   */
  withdrawLoginFailure(key: string, at: number): Promise<void>;
  /** Failures of the key in the window that ends at `at`. */
  loginFailures(key: string, at: number, windowMs: number): Promise<number>;
  clearLoginFailures(key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Webhooks: endpoints, the outbox, deliveries.

export const WEBHOOK_EVENT_TYPES = [
  'license.issued',
  'license.renewed',
  'license.reissued',
  'license.revoked',
  'license.suspended',
  'license.resumed',
  'request.created',
  'request.approved',
  'request.rejected',
  'check.failed',
  'check.stopped',
  'usage.near-cap',
  'subscription.expiring',
  'keys.changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEndpoint {
  id: string; // whe_…
  url: string;
  description: string;
  events: WebhookEventType[];
  /** `whsec_…`, the Standard Webhooks signing secret the receiver verifies with. */
  secret: string;
  /**
   * The secret a rotation replaced, still signing beside `secret` until `previousSecretUntil`
   * (each delivery then carries both signatures), so a receiver can switch without a gap.
   */
  previousSecret?: string | null;
  previousSecretUntil?: number | null;
  enabled: boolean;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
}

export type WebhookEndpointPatch = Partial<
  Pick<
    WebhookEndpoint,
    | 'url'
    | 'description'
    | 'events'
    | 'enabled'
    | 'secret'
    | 'previousSecret'
    | 'previousSecretUntil'
  >
> & { updatedAt: number };

/**
 * One event in the outbox. Written by the same store write as the change that causes it (the
 * transaction's commit, the request's insert), with an id fixed by that change, so writing it
 * again (a roll-forward after a crash) changes nothing. The id is the Standard Webhooks
 * `webhook-id`, the same on every attempt and resend.
 */
export interface OutboxEvent {
  id: string; // msg_…
  type: WebhookEventType;
  at: number;
  data: Record<string, unknown>;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint, with its last attempt: the endpoint's delivery log. */
export interface WebhookDelivery {
  id: string; // dlv_… (fixed by endpoint and event)
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  /** A process sending it holds it until then; another takes it over after (a crash). */
  leaseUntil: number;
  lastAttemptAt: number | null;
  /** HTTP status of the last answer, null when there was none (refused, timed out). */
  lastStatus: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export type DeliveryOutcome = Pick<
  WebhookDelivery,
  | 'status'
  | 'attempts'
  | 'nextAttemptAt'
  | 'lastAttemptAt'
  | 'lastStatus'
  | 'lastDurationMs'
  | 'lastError'
  | 'deliveredAt'
>;

/**
 * How far a periodic scan of the store has got, kept in the store so that a restarted process,
 * or another process, carries on from it (subscription.expiring: `apps/issuer-portal`'s webhook
 * dispatcher). A mark is written only once the scan it describes has finished, so a scan a
 * crash cut short is redone from the mark before it. Times in ms unless said.
 */
export interface ScanMark {
  /** Which scan (and of what settings): `subscription.expiring:30d`. */
  name: string;
  /** When the finished scan started: marks only move to a later start. */
  startedAt: number;
  /** What the scan covered up to (its own unit: term ends in seconds, exclusive, for expiring). */
  coveredTo: number;
  /** When the last full scan (one that read everything, not what changed) started. */
  fullAt: number;
}

export interface WebhookStore {
  /** The mark of the scan `name`, null before its first scan finished. */
  getScanMark(name: string): Promise<ScanMark | null>;
  /**
   * Records a finished scan. A mark of a scan started later (or at the same time) already there
   * is kept and this one dropped (false): a slow process never moves the mark back. Two
   * processes may both write; either mark is one a scan earned, so keeping either is sound.
   */
  putScanMark(mark: ScanMark): Promise<boolean>;

  insertWebhookEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  listWebhookEndpoints(): Promise<WebhookEndpoint[]>;
  getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null>;
  updateWebhookEndpoint(id: string, patch: WebhookEndpointPatch): Promise<void>;

  /** Idempotent by id: an event already in the outbox is left as it is. */
  appendOutboxEvents(events: OutboxEvent[]): Promise<void>;
  getOutboxEvent(id: string): Promise<OutboxEvent | null>;
  /** Events not yet turned into deliveries, oldest first. */
  listUnfannedOutboxEvents(limit: number): Promise<OutboxEvent[]>;
  markOutboxFannedOut(ids: string[]): Promise<void>;

  /** Idempotent by id. */
  insertDeliveries(deliveries: WebhookDelivery[]): Promise<void>;
  /**
   * Pending deliveries due at `now` and not held by a live lease, now held until now+leaseMs:
   * each is answered with that lease in `leaseUntil`, the key its `finishDelivery` writes with.
   * Deliveries of a disabled endpoint are left as they are (pending): they wait for it to be
   * enabled again.
   */
  claimDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Records an attempt's outcome and releases the lease, only while the delivery still holds
   * the lease `lease` its claim set (false, nothing written, otherwise): an attempt that
   * outlived its lease, whose delivery was claimed again since, never overwrites a newer
   * outcome.
   */
  finishDelivery(id: string, lease: number, outcome: DeliveryOutcome): Promise<boolean>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
  /** Newest first. */
  listDeliveries(endpointId: string, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Makes a delivery pending and due now again (an admin's resend). False if there is none.
   * A delivery held by a live lease (an attempt in flight) is left alone: DeliveryInFlightError
   * (a 409), saying when the lease runs out.
   */
  resendDelivery(id: string, now: number): Promise<boolean>;
  /**
   * Retention: deletes up to `limit` delivered or failed deliveries whose last attempt ended
   * before `before`, and up to `limit` outbox events fanned out before `before` that no
   * delivery refers to any more. Pending deliveries and their events, and the audit log, are
   * never touched. Answers how many of each went.
   */
  sweepWebhooks(before: number, limit: number): Promise<{ deliveries: number; events: number }>;
}

/** A resend of a delivery an attempt is sending right now (its lease is live): try again. */
export class DeliveryInFlightError extends ConcurrentUpdateError {
  readonly retryAfterSeconds: number;
  constructor(id: string, leaseUntil: number, now: number) {
    super(`delivery ${id}`);
    this.retryAfterSeconds = Math.max(1, Math.ceil((leaseUntil - now) / 1000));
    this.message = `delivery ${id} is being sent right now: try again in ${this.retryAfterSeconds} s`;
  }
}
