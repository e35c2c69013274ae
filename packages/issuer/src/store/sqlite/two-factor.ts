// The two-factor port on SQLite: TOTP enrolments, recovery code hashes, used codes (a unique
// row per use: a replay is a primary-key conflict) and the portal-wide policy.

import type Database from 'better-sqlite3';
import {
  STEPS_KEPT,
  type TwoFactorPolicyRecord,
  type TwoFactorRecord,
  type TwoFactorStore,
} from '../two-factor-port.js';
import { isUniqueViolation } from './sqlite-errors.js';

type Row = Record<string, unknown>;

/** Migration of the tables of this port (numbered in migrations.ts). */
export const TWO_FACTOR_TABLES_SQL = `
  CREATE TABLE two_factor (
    user_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'enabled')),
    body TEXT NOT NULL
  );

  CREATE TABLE two_factor_recovery_codes (
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
  ) WITHOUT ROWID;

  CREATE TABLE two_factor_uses (
    user_id TEXT NOT NULL,
    use TEXT NOT NULL,
    step INTEGER,
    at INTEGER NOT NULL,
    PRIMARY KEY (user_id, use)
  ) WITHOUT ROWID;
  CREATE INDEX two_factor_uses_by_step ON two_factor_uses (user_id, step) WHERE step IS NOT NULL;

  CREATE TABLE two_factor_policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
  );
`;

export class SqliteTwoFactor implements TwoFactorStore {
  constructor(private readonly db: () => Database.Database) {}

  async getTwoFactor(userId: string): Promise<TwoFactorRecord | null> {
    const row = this.db().prepare('SELECT body FROM two_factor WHERE user_id = ?').get(userId) as
      | Row
      | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as TwoFactorRecord);
  }

  async listTwoFactorEnabled(): Promise<string[]> {
    const rows = this.db()
      .prepare(`SELECT user_id FROM two_factor WHERE state = 'enabled' ORDER BY user_id`)
      .all() as Row[];
    return rows.map((row) => row.user_id as string);
  }

  async putPendingTwoFactor(record: TwoFactorRecord): Promise<boolean> {
    const result = this.db()
      .prepare(`INSERT INTO two_factor (user_id, state, body) VALUES (?, 'pending', ?)
        ON CONFLICT (user_id) DO UPDATE SET body = excluded.body WHERE state = 'pending'`)
      .run(record.userId, JSON.stringify({ ...record, state: 'pending', enabledAt: null }));
    return result.changes === 1;
  }

  async enableTwoFactor(
    userId: string,
    at: number,
    recoveryCodeHashes: readonly string[],
  ): Promise<boolean> {
    const db = this.db();
    return db
      .transaction(() => {
        const result = db
          .prepare(`UPDATE two_factor SET state = 'enabled',
            body = json_set(body, '$.state', 'enabled', '$.enabledAt', ?)
            WHERE user_id = ? AND state = 'pending'`)
          .run(at, userId);
        if (result.changes !== 1) return false;
        this.replaceCodesSync(db, userId, recoveryCodeHashes);
        return true;
      })
      .immediate();
  }

  async deleteTwoFactor(userId: string): Promise<boolean> {
    const db = this.db();
    return db
      .transaction(() => {
        db.prepare('DELETE FROM two_factor_recovery_codes WHERE user_id = ?').run(userId);
        db.prepare('DELETE FROM two_factor_uses WHERE user_id = ?').run(userId);
        return db.prepare('DELETE FROM two_factor WHERE user_id = ?').run(userId).changes === 1;
      })
      .immediate();
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    const db = this.db();
    db.transaction(() => this.replaceCodesSync(db, userId, hashes)).immediate();
  }

  private replaceCodesSync(db: Database.Database, userId: string, hashes: readonly string[]) {
    db.prepare('DELETE FROM two_factor_recovery_codes WHERE user_id = ?').run(userId);
    const insert = db.prepare(
      'INSERT OR IGNORE INTO two_factor_recovery_codes (user_id, code_hash) VALUES (?, ?)',
    );
    for (const hash of hashes) insert.run(userId, hash);
  }

  async listRecoveryCodes(userId: string): Promise<{ hash: string; used: boolean }[]> {
    const rows = this.db()
      .prepare(`SELECT c.code_hash AS hash, u.at IS NOT NULL AS used
        FROM two_factor_recovery_codes c
        LEFT JOIN two_factor_uses u ON u.user_id = c.user_id AND u.use = 'recovery:' || c.code_hash
        WHERE c.user_id = ? ORDER BY c.code_hash`)
      .all(userId) as Row[];
    return rows.map((row) => ({ hash: row.hash as string, used: row.used === 1 }));
  }

  async lastTotpStep(userId: string): Promise<number | null> {
    const row = this.db()
      .prepare(
        'SELECT max(step) AS step FROM two_factor_uses WHERE user_id = ? AND step IS NOT NULL',
      )
      .get(userId) as Row;
    return (row.step as number | null) ?? null;
  }

  async claimCodeUse(
    userId: string,
    use: string,
    at: number,
    step: number | null,
  ): Promise<boolean> {
    const db = this.db();
    try {
      db.prepare('INSERT INTO two_factor_uses (user_id, use, step, at) VALUES (?, ?, ?, ?)').run(
        userId,
        use,
        step,
        at,
      );
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
    if (step !== null) {
      db.prepare('DELETE FROM two_factor_uses WHERE user_id = ? AND step < ?').run(
        userId,
        step - STEPS_KEPT,
      );
    }
    return true;
  }

  async getTwoFactorPolicy(): Promise<TwoFactorPolicyRecord | null> {
    const row = this.db().prepare('SELECT body FROM two_factor_policy WHERE id = 1').get() as
      | Row
      | undefined;
    return row === undefined ? null : (JSON.parse(row.body as string) as TwoFactorPolicyRecord);
  }

  async setTwoFactorPolicy(record: TwoFactorPolicyRecord): Promise<void> {
    this.db()
      .prepare('INSERT OR REPLACE INTO two_factor_policy (id, body) VALUES (1, ?)')
      .run(JSON.stringify(record));
  }
}
