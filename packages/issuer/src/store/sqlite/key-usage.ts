// What the Signing keys page counts, on SQLite (key-usage-port.ts): tokens signed per key
// through the `kid` of each transaction (a generated column of the stored body, indexed with the
// license id, so a count reads the index only), and the key set version each installation last
// reported (`installation_keysets`, one row per installation, written only when it changes),
// and the highest license revision each installation reported holding (`held_revisions`, one row
// per license and installation, written only when it goes up).

import type Database from 'better-sqlite3';
import { kidOfToken } from '../../keys/token-kid.js';
import {
  highestRevisions,
  type KeySignedCount,
  type KeysetReport,
  type KeysetTrustCount,
  type KeyUsageStore,
  newestReports,
  type RevisionReport,
} from '../key-usage-port.js';
import { statement } from './statements.js';

/**
 * Migration (numbered in migrations.ts): the signing kid of every transaction, back-filled for
 * every row at once (a generated column reads the body, which has carried `kid` since the first
 * release; `backfillTransactionKids` fills the body of a row that lacks it from its token), and
 * the key set each installation trusts.
 */
export const KEY_USAGE_SQL = `
  ALTER TABLE transactions ADD COLUMN kid TEXT
    GENERATED ALWAYS AS (json_extract(body, '$.kid')) VIRTUAL;
  CREATE INDEX transactions_by_kid ON transactions (kid, license_id) WHERE kid IS NOT NULL;

  CREATE TABLE installation_keysets (
    installation_id TEXT PRIMARY KEY,
    keyset INTEGER NOT NULL CHECK (keyset >= 0),
    reported_at INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('check', 'challenge'))
  ) WITHOUT ROWID;
  CREATE INDEX installation_keysets_by_keyset ON installation_keysets (keyset);
`;

/**
 * Rows that sign a token but whose body has no `kid` (written by hand or by a tool that left it
 * out): the kid is read from the token's header and written into the body.
 */
export function backfillTransactionKids(db: Database.Database): number {
  const rows = db
    .prepare(
      `SELECT id, json_extract(body, '$.token') AS token FROM transactions
       WHERE kid IS NULL AND json_extract(body, '$.token') IS NOT NULL`,
    )
    .all() as { id: string; token: string }[];
  const update = db.prepare(
    `UPDATE transactions SET body = json_set(body, '$.kid', ?) WHERE id = ?`,
  );
  let filled = 0;
  for (const row of rows) {
    const kid = kidOfToken(row.token);
    if (kid === null) continue;
    update.run(kid, row.id);
    filled++;
  }
  return filled;
}

/**
 * Migration (numbered in migrations.ts): the highest revision each installation reported holding
 * of each license (a point read by its primary key when a key is revoked), and when this store
 * began recording them (`store_markers`, written by the migration's back-fill with its time).
 */
export const HELD_REVISIONS_SQL = `
  CREATE TABLE held_revisions (
    license_id TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 0),
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (license_id, installation_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS store_markers (
    name TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/** The marker whose time is `revisionReportsSince`. */
export const HELD_REVISIONS_MARKER = 'held_revisions';

/** The migration's back-fill: revision reports are recorded from now on. */
export function markHeldRevisions(db: Database.Database, now: number): void {
  db.prepare('INSERT OR IGNORE INTO store_markers (name, at) VALUES (?, ?)').run(
    HELD_REVISIONS_MARKER,
    now,
  );
}

export class SqliteKeyUsage implements KeyUsageStore {
  constructor(private readonly db: () => Database.Database) {}

  async recordKeysetReports(reports: readonly KeysetReport[]): Promise<number> {
    const newest = newestReports(reports);
    if (newest.length === 0) return 0;
    const db = this.db();
    // Recorded only for a version this store published (0: the shipped keys), and only over an
    // older report; a report of the version already on record writes nothing.
    const upsert = statement(
      db,
      `INSERT INTO installation_keysets
        (installation_id, keyset, reported_at, source)
      SELECT ?, ?, ?, ? WHERE ? = 0 OR EXISTS (SELECT 1 FROM keysets WHERE seq = ?)
      ON CONFLICT (installation_id) DO UPDATE SET keyset = excluded.keyset,
        reported_at = excluded.reported_at, source = excluded.source
      WHERE installation_keysets.keyset <> excluded.keyset
        AND installation_keysets.reported_at <= excluded.reported_at`,
    );
    let recorded = 0;
    db.transaction(() => {
      for (const r of newest) {
        const { changes } = upsert.run(
          r.installationId,
          r.keyset,
          r.at,
          r.source,
          r.keyset,
          r.keyset,
        );
        recorded += changes;
      }
    })();
    return recorded;
  }

  async getKeysetReport(installationId: string): Promise<KeysetReport | null> {
    const row = this.db()
      .prepare(
        'SELECT keyset, reported_at, source FROM installation_keysets WHERE installation_id = ?',
      )
      .get(installationId) as
      | { keyset: number; reported_at: number; source: KeysetReport['source'] }
      | undefined;
    if (row === undefined) return null;
    return { installationId, keyset: row.keyset, at: row.reported_at, source: row.source };
  }

  async recordRevisionReports(reports: readonly RevisionReport[]): Promise<number> {
    const highest = highestRevisions(reports);
    if (highest.length === 0) return 0;
    const db = this.db();
    // Only ever up: a revision no higher than the one on record writes nothing.
    const upsert = statement(
      db,
      `INSERT INTO held_revisions (license_id, installation_id, revision, reported_at)
      VALUES (?, ?, ?, ?)
      ON CONFLICT (license_id, installation_id) DO UPDATE SET revision = excluded.revision,
        reported_at = excluded.reported_at
      WHERE held_revisions.revision < excluded.revision`,
    );
    let recorded = 0;
    db.transaction(() => {
      for (const r of highest) {
        recorded += upsert.run(r.licenseId, r.installationId, r.revision, r.at).changes;
      }
    })();
    return recorded;
  }

  async getHeldRevision(licenseId: string, installationId: string): Promise<RevisionReport | null> {
    const row = statement(
      this.db(),
      `SELECT revision, reported_at FROM held_revisions
       WHERE license_id = ? AND installation_id = ?`,
    ).get(licenseId, installationId) as { revision: number; reported_at: number } | undefined;
    if (row === undefined) return null;
    return { licenseId, installationId, revision: row.revision, at: row.reported_at };
  }

  async revisionReportsSince(): Promise<number | null> {
    const row = this.db()
      .prepare('SELECT at FROM store_markers WHERE name = ?')
      .get(HELD_REVISIONS_MARKER) as { at: number } | undefined;
    return row?.at ?? null;
  }

  async countInstallationsByKeyset(): Promise<KeysetTrustCount[]> {
    return this.db()
      .prepare(
        `SELECT keyset, count(*) AS installations FROM installation_keysets
         GROUP BY keyset ORDER BY keyset`,
      )
      .all() as KeysetTrustCount[];
  }

  async countSignedByKeys(kids: readonly string[]): Promise<KeySignedCount[]> {
    const db = this.db();
    // Both through transactions_by_kid (kid, license_id): no body is parsed.
    const tokens = db.prepare('SELECT count(*) AS n FROM transactions WHERE kid = ?');
    const licenses = db.prepare(
      'SELECT count(*) AS n FROM (SELECT DISTINCT license_id FROM transactions WHERE kid = ?)',
    );
    return kids.map((kid) => ({
      kid,
      tokens: (tokens.get(kid) as { n: number }).n,
      licenses: (licenses.get(kid) as { n: number }).n,
    }));
  }
}
