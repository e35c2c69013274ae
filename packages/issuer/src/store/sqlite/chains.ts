// The check chain, forks and the nonce window on SQLite (see chain-port.ts). Every process that
// opens the same file (N `--workers`, the issuer) sees the same rows.

import type Database from 'better-sqlite3';
import { InputInvalidError } from '../../errors.js';
import type { ChainHead, ChainStore, ForkAction, ForkFilter, ForkRecord } from '../chain-port.js';
import type { NonceWriter } from './nonce-writer.js';
import { statement } from './statements.js';

type Row = Record<string, unknown>;

/**
 * Fork policies of plans too (the key is a license or a plan id) and `suspend-both`: the table
 * rebuilt without its old CHECK, rows kept.
 */
export const FORK_POLICY_SUBJECTS_SQL = `
  CREATE TABLE fork_policies_next (
    license_id TEXT PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('warn', 'suspend', 'suspend-both')),
    updated_at INTEGER NOT NULL
  );
  INSERT INTO fork_policies_next (license_id, action, updated_at)
    SELECT license_id, action, updated_at FROM fork_policies;
  DROP TABLE fork_policies;
  ALTER TABLE fork_policies_next RENAME TO fork_policies;
`;

/** Migration of the tables of this port (numbered in migrations.ts). */
export const CHAIN_TABLES_SQL = `
  CREATE TABLE chain_heads (
    installation_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
  );

  CREATE TABLE forks (
    id TEXT PRIMARY KEY,
    license_id TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    status TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX forks_by_license ON forks (license_id, detected_at);
  CREATE INDEX forks_by_status ON forks (status, detected_at);

  CREATE TABLE fork_policies (
    license_id TEXT PRIMARY KEY,
    action TEXT NOT NULL CHECK (action IN ('warn', 'suspend')),
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE check_nonces (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX check_nonces_by_expiry ON check_nonces (expires_at);
`;

function parse<T>(row: unknown): T | null {
  return row === undefined ? null : (JSON.parse((row as { body: string }).body) as T);
}

export class SqliteChains implements ChainStore {
  constructor(
    private readonly db: () => Database.Database,
    /** The nonce window's writes: grouped, on a thread of their own (nonce-writer.ts). */
    private readonly nonces: NonceWriter,
  ) {}

  // Prepared once per connection (statements.ts): every issue reads it (the re-bind of the
  // installation's chain), and every check of the verify service; preparing it each time cost
  // more than the read.
  async getChainHead(installationId: string): Promise<ChainHead | null> {
    return parse<ChainHead>(
      statement(this.db(), 'SELECT body FROM chain_heads WHERE installation_id = ?').get(
        installationId,
      ),
    );
  }

  async listChainHeads(afterInstallationId: string | null, limit: number): Promise<ChainHead[]> {
    const rows = this.db()
      .prepare(
        `SELECT body FROM chain_heads WHERE installation_id > ? ORDER BY installation_id LIMIT ?`,
      )
      .all(afterInstallationId ?? '', Math.max(1, Math.min(limit, 1_000))) as Row[];
    return rows.map((row) => JSON.parse(row.body as string) as ChainHead);
  }

  async putChainHead(head: ChainHead, expectedVersion: number | null): Promise<boolean> {
    // On the check writer's thread, in the group of the nonces in flight (nonce-writer.ts).
    return this.nonces.putHead(
      head.installationId,
      head.version,
      JSON.stringify(head),
      expectedVersion,
    );
  }

  async recordFork(fork: ForkRecord): Promise<ForkRecord> {
    const db = this.db();
    const write = db.transaction(() => {
      const stored = parse<ForkRecord>(
        db.prepare('SELECT body FROM forks WHERE id = ?').get(fork.id),
      );
      const next: ForkRecord =
        stored === null
          ? fork
          : {
              ...stored,
              lastSeenAt: Math.max(stored.lastSeenAt, fork.lastSeenAt),
              divergentChecks: stored.divergentChecks + 1,
              copy: fork.copy,
              action: fork.action,
            };
      db.prepare(
        `INSERT INTO forks (id, license_id, installation_id, status, detected_at, body)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body`,
      ).run(
        next.id,
        next.licenseId,
        next.installationId,
        next.status,
        next.detectedAt,
        JSON.stringify(next),
      );
      return next;
    });
    return write.immediate();
  }

  async getFork(id: string): Promise<ForkRecord | null> {
    return parse<ForkRecord>(this.db().prepare('SELECT body FROM forks WHERE id = ?').get(id));
  }

  async listForks(filter: ForkFilter): Promise<ForkRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.licenseId !== undefined) {
      where.push('license_id = ?');
      values.push(filter.licenseId);
    }
    if (filter.installationId !== undefined) {
      where.push('installation_id = ?');
      values.push(filter.installationId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      values.push(filter.status);
    }
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 10_000));
    const rows = this.db()
      .prepare(
        `SELECT body FROM forks ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
         ORDER BY detected_at DESC, id LIMIT ?`,
      )
      .all(...values, limit) as Row[];
    return rows.map((row) => JSON.parse(row.body as string) as ForkRecord);
  }

  async closeFork(id: string, at: number, by: string, reason: string): Promise<boolean> {
    const db = this.db();
    const close = db.transaction(() => {
      const stored = parse<ForkRecord>(db.prepare('SELECT body FROM forks WHERE id = ?').get(id));
      if (stored === null || stored.status !== 'open') return false;
      const closed: ForkRecord = {
        ...stored,
        status: 'closed',
        closedAt: at,
        closedBy: by,
        closeReason: reason,
      };
      db.prepare("UPDATE forks SET status = 'closed', body = ? WHERE id = ?").run(
        JSON.stringify(closed),
        id,
      );
      return true;
    });
    return close.immediate();
  }

  async getForkPolicy(licenseId: string): Promise<ForkAction | null> {
    const row = this.db()
      .prepare('SELECT action FROM fork_policies WHERE license_id = ?')
      .get(licenseId) as Row | undefined;
    return row === undefined ? null : (row.action as ForkAction);
  }

  readonly resolveForkPolicy: ChainStore['resolveForkPolicy'] = async (licenseId) => {
    const own = await this.getForkPolicy(licenseId);
    if (own !== null) return { action: own, source: 'license' };
    const row = this.db()
      .prepare(
        `SELECT p.action AS action FROM licenses l
         JOIN fork_policies p ON p.license_id = json_extract(l.body, '$.entitlements.plan.id')
         WHERE l.id = ?`,
      )
      .get(licenseId) as Row | undefined;
    return row === undefined ? null : { action: row.action as ForkAction, source: 'plan' };
  };

  async setForkPolicy(licenseId: string, action: ForkAction | null, at: number): Promise<void> {
    if (action === null) {
      this.db().prepare('DELETE FROM fork_policies WHERE license_id = ?').run(licenseId);
      return;
    }
    this.db()
      .prepare(
        `INSERT INTO fork_policies (license_id, action, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (license_id) DO UPDATE SET action = excluded.action, updated_at = excluded.updated_at`,
      )
      .run(licenseId, action, at);
  }

  async admitNonce(
    installationId: string,
    nonce: string,
    issuedAt: number,
    expiresAt: number,
    now: number,
  ): Promise<boolean> {
    // The key's first column: a time, in the order checks arrive (nonce-keys.ts). Anything else
    // would land elsewhere, or as another key than its replay's (1.0 is not 1 to an index).
    if (!Number.isSafeInteger(issuedAt) || issuedAt < 0) {
      throw new InputInvalidError(
        'issuedAt',
        "must be the check's signed iat: whole seconds since the epoch, not negative",
      );
    }
    // Inserted, or an expired one replaced; a nonce still held changes nothing. Answered once
    // the group holding it is on disk.
    return this.nonces.admit(issuedAt, installationId, nonce, expiresAt, now);
  }
}
