// The automation and accounts port on SQLite: API tokens, portal sessions, failed-login counters.
// Every portal process that opens the same file sees the same rows, so sessions and limits hold
// across processes.

import type Database from 'better-sqlite3';
import type { ApiTokenRecord, AutomationStore, PortalSessionRecord } from '../automation-port.js';

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

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class SqliteAutomation implements AutomationStore {
  constructor(private readonly db: () => Database.Database) {}

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
    return this.loginFailures(key, at, windowMs);
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
}
