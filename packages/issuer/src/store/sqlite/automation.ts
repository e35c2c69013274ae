// The automation and accounts port on SQLite: API tokens, portal sessions, failed-login
// counters, webhook endpoints, the outbox and deliveries.
// Every portal process that opens the same file sees the same rows, so sessions and limits hold
// across processes.

import type Database from 'better-sqlite3';
import type { AuditEvent } from '../../records.js';
import {
  type ApiTokenRecord,
  type AutomationStore,
  DeliveryInFlightError,
  type DeliveryOutcome,
  type OutboxEvent,
  type PortalSessionRecord,
  type ScanMark,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointPatch,
} from '../automation-port.js';
import { isUniqueViolation } from './sqlite-errors.js';
import { statement } from './statements.js';

type Row = Record<string, unknown>;

/** Migration of the tables of this port (numbered in migrations.ts). */
export const AUTOMATION_TABLES_SQL = `
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );

  CREATE TABLE portal_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX portal_sessions_by_user ON portal_sessions (user_id);
  CREATE INDEX portal_sessions_by_seen ON portal_sessions (last_seen_at);

  CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX login_failures_by_key ON login_failures (key, at);
  CREATE INDEX login_failures_by_time ON login_failures (at);
`;

/** Migration of the webhook tables (numbered in migrations.ts). */
export const WEBHOOK_TABLES_SQL = `
  CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );

  CREATE TABLE webhook_outbox (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    fanned_out INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX webhook_outbox_pending ON webhook_outbox (at) WHERE fanned_out = 0;

  CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status INTEGER,
    last_duration_ms INTEGER,
    last_error TEXT,
    delivered_at INTEGER
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
  CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);
`;

/** Migration of the scan marks (numbered in migrations.ts): one small row per scan. */
export const SCAN_MARKS_SQL = `
  CREATE TABLE scan_marks (
    name TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
`;

/** A finished scan's mark, over the one there only when it started later (one statement). */
export const SCAN_MARK_PUT_SQL = `INSERT INTO scan_marks (name, started_at, body) VALUES (?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, body = excluded.body
  WHERE excluded.started_at > scan_marks.started_at`;

/**
 * Migration of the webhook retention sweep's indexes (numbered in migrations.ts): the events
 * fanned out, by time, and the deliveries of an event (an event goes once none is left).
 */
export const WEBHOOK_RETENTION_SQL = `
  CREATE INDEX webhook_outbox_fanned ON webhook_outbox (at) WHERE fanned_out = 1;
  CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
`;

/**
 * Writes outbox events inside the caller's SQLite transaction (the commit of the change that
 * causes them): either both are on disk or neither. An event already there is left alone.
 */
/** An outbox event; one written already (same id) is left as it is. */
export const OUTBOX_INSERT_SQL =
  'INSERT OR IGNORE INTO webhook_outbox (id, at, fanned_out, body) VALUES (?, ?, 0, ?)';

export function appendOutboxSync(db: Database.Database, events: readonly OutboxEvent[]): void {
  const insert = statement(db, OUTBOX_INSERT_SQL);
  for (const event of events) insert.run(event.id, event.at, JSON.stringify(event));
}

function deliveryOf(row: Row): WebhookDelivery {
  return {
    id: row.id as string,
    endpointId: row.endpoint_id as string,
    eventId: row.event_id as string,
    eventType: row.event_type as WebhookDelivery['eventType'],
    status: row.status as WebhookDelivery['status'],
    attempts: row.attempts as number,
    createdAt: row.created_at as number,
    nextAttemptAt: row.next_attempt_at as number,
    leaseUntil: row.lease_until as number,
    lastAttemptAt: row.last_attempt_at as number | null,
    lastStatus: row.last_status as number | null,
    lastDurationMs: row.last_duration_ms as number | null,
    lastError: row.last_error as string | null,
    deliveredAt: row.delivered_at as number | null,
  };
}

/** A row of `audit_events` as the record. */
export function auditEventFromRow(r: Row): AuditEvent {
  return {
    id: r.id as string,
    at: r.at as number,
    actor: r.actor as string,
    action: r.action as string,
    subjectId: r.subject_id as string | null,
    transactionId: r.transaction_id as string | null,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
  };
}

export class SqliteAutomation implements AutomationStore {
  constructor(private readonly db: () => Database.Database) {}

  async listAuditRange(
    from: number,
    to: number,
    after: { at: number; id: string } | null,
    limit: number,
  ): Promise<AuditEvent[]> {
    const rows = this.db()
      .prepare(`SELECT * FROM audit_events WHERE at >= ? AND at < ?
        AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id LIMIT ?`)
      .all(from, to, after?.at ?? -1, after?.at ?? -1, after?.id ?? '', limit) as Row[];
    return rows.map(auditEventFromRow);
  }

  async insertApiToken(record: ApiTokenRecord): Promise<boolean> {
    try {
      this.db()
        .prepare('INSERT INTO api_tokens (id, name, created_at, body) VALUES (?, ?, ?, ?)')
        .run(record.id, record.name, record.createdAt, JSON.stringify(record));
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async getApiToken(id: string): Promise<ApiTokenRecord | null> {
    const row = this.db().prepare('SELECT body FROM api_tokens WHERE id = ?').get(id) as
      | Row
      | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as ApiTokenRecord);
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    const rows = this.db()
      .prepare('SELECT body FROM api_tokens ORDER BY created_at DESC, id')
      .all() as Row[];
    return rows.map((row) => JSON.parse(row.body as string) as ApiTokenRecord);
  }

  async revokeApiToken(id: string, at: number, by: string): Promise<boolean> {
    const result = this.db()
      .prepare(`UPDATE api_tokens SET body = json_set(body, '$.revokedAt', ?, '$.revokedBy', ?)
        WHERE id = ? AND json_extract(body, '$.revokedAt') IS NULL`)
      .run(at, by, id);
    return result.changes === 1;
  }

  async touchApiToken(id: string, at: number): Promise<void> {
    this.db()
      .prepare(`UPDATE api_tokens SET body = json_set(body, '$.lastUsedAt', ?)
        WHERE id = ? AND coalesce(json_extract(body, '$.lastUsedAt'), 0) < ?`)
      .run(at, id, at);
  }

  async putSession(session: PortalSessionRecord): Promise<void> {
    this.db()
      .prepare(`INSERT OR REPLACE INTO portal_sessions (id_hash, user_id, created_at, last_seen_at, body)
        VALUES (?, ?, ?, ?, ?)`)
      .run(
        session.idHash,
        session.userId,
        session.createdAt,
        session.lastSeenAt,
        JSON.stringify(session),
      );
  }

  async getSession(idHash: string): Promise<PortalSessionRecord | null> {
    const row = this.db()
      .prepare('SELECT body, last_seen_at FROM portal_sessions WHERE id_hash = ?')
      .get(idHash) as Row | undefined;
    if (row === undefined) return null;
    const session = JSON.parse(row.body as string) as PortalSessionRecord;
    return { ...session, lastSeenAt: row.last_seen_at as number };
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    this.db()
      .prepare('UPDATE portal_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?')
      .run(at, idHash, at);
  }

  async deleteSession(idHash: string): Promise<void> {
    this.db().prepare('DELETE FROM portal_sessions WHERE id_hash = ?').run(idHash);
  }

  async deleteSessionsOfUser(userId: string): Promise<void> {
    this.db().prepare('DELETE FROM portal_sessions WHERE user_id = ?').run(userId);
  }

  async sweepSessions(idleBefore: number, createdBefore: number): Promise<number> {
    return this.db()
      .prepare('DELETE FROM portal_sessions WHERE last_seen_at <= ? OR created_at <= ?')
      .run(idleBefore, createdBefore).changes;
  }

  async recordLoginFailure(key: string, at: number, windowMs: number): Promise<number> {
    // One row per failure: two processes counting at once both land, and the count is a
    // sliding window. Rows past every window are dropped on the way.
    const db = this.db();
    db.prepare('DELETE FROM login_failures WHERE at <= ?').run(at - windowMs);
    db.prepare('INSERT INTO login_failures (key, at) VALUES (?, ?)').run(key, at);
    // No upper bound: a failure another process stamped later but inserted first counts too.
    const row = db
      .prepare('SELECT count(*) AS count FROM login_failures WHERE key = ? AND at > ?')
      .get(key, at - windowMs) as { count: number };
    return row.count;
  }

  async withdrawLoginFailure(key: string, at: number): Promise<void> {
    this.db()
      .prepare(
        'DELETE FROM login_failures WHERE rowid = (SELECT rowid FROM login_failures WHERE key = ? AND at = ? LIMIT 1)',
      )
      .run(key, at);
  }

  async loginFailures(key: string, at: number, windowMs: number): Promise<number> {
    const row = this.db()
      .prepare('SELECT count(*) AS count FROM login_failures WHERE key = ? AND at > ? AND at <= ?')
      .get(key, at - windowMs, at) as { count: number };
    return row.count;
  }

  async clearLoginFailures(key: string): Promise<void> {
    this.db().prepare('DELETE FROM login_failures WHERE key = ?').run(key);
  }

  async getScanMark(name: string): Promise<ScanMark | null> {
    const row = statement(this.db(), 'SELECT body FROM scan_marks WHERE name = ?').get(name) as
      | Row
      | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as ScanMark);
  }

  async putScanMark(mark: ScanMark): Promise<boolean> {
    const body = JSON.stringify({
      name: mark.name,
      startedAt: mark.startedAt,
      coveredTo: mark.coveredTo,
      fullAt: mark.fullAt,
    });
    return (
      statement(this.db(), SCAN_MARK_PUT_SQL).run(mark.name, mark.startedAt, body).changes === 1
    );
  }

  async insertWebhookEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    this.db()
      .prepare('INSERT INTO webhook_endpoints (id, created_at, body) VALUES (?, ?, ?)')
      .run(endpoint.id, endpoint.createdAt, JSON.stringify(endpoint));
  }

  async listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    const rows = this.db()
      .prepare('SELECT body FROM webhook_endpoints ORDER BY created_at, id')
      .all() as Row[];
    return rows.map((row) => JSON.parse(row.body as string) as WebhookEndpoint);
  }

  async getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null> {
    const row = this.db().prepare('SELECT body FROM webhook_endpoints WHERE id = ?').get(id) as
      | Row
      | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as WebhookEndpoint);
  }

  async updateWebhookEndpoint(id: string, patch: WebhookEndpointPatch): Promise<void> {
    const db = this.db();
    db.transaction(() => {
      const row = db.prepare('SELECT body FROM webhook_endpoints WHERE id = ?').get(id) as
        | Row
        | undefined;
      if (row === undefined) return;
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const body = { ...(JSON.parse(row.body as string) as WebhookEndpoint), ...defined };
      db.prepare('UPDATE webhook_endpoints SET body = ? WHERE id = ?').run(
        JSON.stringify(body),
        id,
      );
    }).immediate();
  }

  async appendOutboxEvents(events: OutboxEvent[]): Promise<void> {
    const db = this.db();
    db.transaction(() => appendOutboxSync(db, events)).immediate();
  }

  async getOutboxEvent(id: string): Promise<OutboxEvent | null> {
    const row = this.db().prepare('SELECT body FROM webhook_outbox WHERE id = ?').get(id) as
      | Row
      | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as OutboxEvent);
  }

  async listUnfannedOutboxEvents(limit: number): Promise<OutboxEvent[]> {
    const rows = this.db()
      .prepare('SELECT body FROM webhook_outbox WHERE fanned_out = 0 ORDER BY at, id LIMIT ?')
      .all(limit) as Row[];
    return rows.map((row) => JSON.parse(row.body as string) as OutboxEvent);
  }

  async markOutboxFannedOut(ids: string[]): Promise<void> {
    const db = this.db();
    const mark = db.prepare('UPDATE webhook_outbox SET fanned_out = 1 WHERE id = ?');
    db.transaction(() => {
      for (const id of ids) mark.run(id);
    }).immediate();
  }

  async insertDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    const db = this.db();
    const insert = db.prepare(`INSERT OR IGNORE INTO webhook_deliveries
      (id, endpoint_id, event_id, event_type, status, attempts, created_at, next_attempt_at,
       lease_until, last_attempt_at, last_status, last_duration_ms, last_error, delivered_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (const d of deliveries) {
        insert.run(
          d.id,
          d.endpointId,
          d.eventId,
          d.eventType,
          d.status,
          d.attempts,
          d.createdAt,
          d.nextAttemptAt,
          d.leaseUntil,
          d.lastAttemptAt,
          d.lastStatus,
          d.lastDurationMs,
          d.lastError,
          d.deliveredAt,
        );
      }
    }).immediate();
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    // One statement under SQLite's write lock: two processes never claim the same delivery.
    // A disabled endpoint's deliveries stay pending, unclaimed, until it is enabled again.
    const rows = this.db()
      .prepare(`UPDATE webhook_deliveries SET lease_until = ?
        WHERE id IN (SELECT id FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
            AND endpoint_id NOT IN (SELECT id FROM webhook_endpoints
              WHERE json_extract(body, '$.enabled') = 0)
          ORDER BY next_attempt_at, id LIMIT ?)
        RETURNING *`)
      .all(now + leaseMs, now, now, limit) as Row[];
    return rows.map(deliveryOf);
  }

  async finishDelivery(id: string, lease: number, outcome: DeliveryOutcome): Promise<boolean> {
    // Only under the lease the claim set: a stale attempt (its lease ran out and the delivery
    // was claimed again, or resent) writes nothing.
    const result = this.db()
      .prepare(`UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
        lease_until = 0, last_attempt_at = ?, last_status = ?, last_duration_ms = ?,
        last_error = ?, delivered_at = ? WHERE id = ? AND lease_until = ?`)
      .run(
        outcome.status,
        outcome.attempts,
        outcome.nextAttemptAt,
        outcome.lastAttemptAt,
        outcome.lastStatus,
        outcome.lastDurationMs,
        outcome.lastError,
        outcome.deliveredAt,
        id,
        lease,
      );
    return result.changes === 1;
  }

  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    const row = this.db().prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as
      | Row
      | undefined;
    return row === undefined ? null : deliveryOf(row);
  }

  async listDeliveries(endpointId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = this.db()
      .prepare(`SELECT * FROM webhook_deliveries WHERE endpoint_id = ?
        ORDER BY created_at DESC, id LIMIT ?`)
      .all(endpointId, limit) as Row[];
    return rows.map(deliveryOf);
  }

  async resendDelivery(id: string, now: number): Promise<boolean> {
    const db = this.db();
    // A live lease is an attempt in flight: left alone (its outcome is the one that counts).
    const result = db
      .prepare(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?,
        lease_until = 0, delivered_at = NULL WHERE id = ? AND lease_until <= ?`)
      .run(now, id, now);
    if (result.changes === 1) return true;
    const row = db.prepare('SELECT lease_until FROM webhook_deliveries WHERE id = ?').get(id) as
      | Row
      | undefined;
    if (row === undefined) return false;
    throw new DeliveryInFlightError(id, row.lease_until as number, now);
  }

  async sweepWebhooks(
    before: number,
    limit: number,
  ): Promise<{ deliveries: number; events: number }> {
    const db = this.db();
    // A delivered or failed delivery's next_attempt_at is when its last attempt ended.
    const deliveries = db
      .prepare(`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
        WHERE status IN ('delivered', 'failed') AND next_attempt_at < ?
        ORDER BY next_attempt_at LIMIT ?)`)
      .run(before, limit).changes;
    const events = db
      .prepare(`DELETE FROM webhook_outbox WHERE id IN (SELECT o.id FROM webhook_outbox o
        WHERE o.fanned_out = 1 AND o.at < ?
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = o.id)
        ORDER BY o.at LIMIT ?)`)
      .run(before, limit).changes;
    return { deliveries, events };
  }
}
