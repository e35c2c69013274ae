// The single sign-on port on SQLite: logins in flight (taken once, by DELETE … RETURNING) and
// the links from an identity provider's subject to a portal user.

import type Database from 'better-sqlite3';
import type { SsoIdentity, SsoLoginRecord, SsoStore } from '../sso-port.js';
import { isUniqueViolation } from './sqlite-errors.js';

type Row = Record<string, unknown>;

/** Migration of the tables of this port (numbered in migrations.ts). */
export const SSO_TABLES_SQL = `
  CREATE TABLE sso_logins (
    id_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX sso_logins_by_time ON sso_logins (created_at);

  CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
  ) WITHOUT ROWID;
`;

export class SqliteSso implements SsoStore {
  constructor(private readonly db: () => Database.Database) {}

  async putSsoLogin(record: SsoLoginRecord): Promise<void> {
    this.db()
      .prepare('INSERT OR REPLACE INTO sso_logins (id_hash, created_at, body) VALUES (?, ?, ?)')
      .run(record.idHash, record.createdAt, JSON.stringify(record));
  }

  async takeSsoLogin(idHash: string): Promise<SsoLoginRecord | null> {
    const row = this.db()
      .prepare('DELETE FROM sso_logins WHERE id_hash = ? RETURNING body')
      .get(idHash) as Row | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as SsoLoginRecord);
  }

  async sweepSsoLogins(before: number): Promise<number> {
    return this.db().prepare('DELETE FROM sso_logins WHERE created_at < ?').run(before).changes;
  }

  async getSsoIdentity(issuer: string, subject: string): Promise<SsoIdentity | null> {
    const row = this.db()
      .prepare('SELECT * FROM sso_identities WHERE issuer = ? AND subject = ?')
      .get(issuer, subject) as Row | undefined;
    if (row === undefined) return null;
    return {
      issuer: row.issuer as string,
      subject: row.subject as string,
      userId: row.user_id as string,
      linkedAt: row.linked_at as number,
    };
  }

  async linkSsoIdentity(identity: SsoIdentity): Promise<boolean> {
    try {
      this.db()
        .prepare(
          'INSERT INTO sso_identities (issuer, subject, user_id, linked_at) VALUES (?, ?, ?, ?)',
        )
        .run(identity.issuer, identity.subject, identity.userId, identity.linkedAt);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
