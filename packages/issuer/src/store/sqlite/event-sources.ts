// The event sources on SQLite: the check failures the verify service records, and the reads of
// the check records that usage.near-cap and check.stopped are found in.

import type Database from 'better-sqlite3';
import type { CheckRecord } from '../../records.js';
import type {
  CheckFailure,
  EventSourceStore,
  QuietInstallation,
  QuietInstallationKey,
} from '../event-sources-port.js';

type Row = Record<string, unknown>;

/** Migration of the check failures table (numbered in migrations.ts). */
export const CHECK_FAILURES_SQL = `
  CREATE TABLE check_failures (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    license_id TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    converted INTEGER NOT NULL
  );
  CREATE INDEX check_failures_pending ON check_failures (at) WHERE converted = 0;
`;

/** The verify service's write: one insert per fact, a fact already there is left alone. */
export function insertCheckFailures(db: Database.Database, failures: CheckFailure[]): void {
  const insert = db.prepare(`INSERT OR IGNORE INTO check_failures
    (id, at, license_id, installation_id, reason, converted) VALUES (?, ?, ?, ?, ?, 0)`);
  db.transaction(() => {
    for (const f of failures) insert.run(f.id, f.at, f.licenseId, f.installationId, f.reason);
  }).immediate();
}

function failureOf(row: Row): CheckFailure {
  return {
    id: row.id as string,
    at: row.at as number,
    licenseId: row.license_id as string,
    installationId: row.installation_id as string,
    reason: row.reason as string,
  };
}

function checkOf(row: Row): CheckRecord {
  return {
    id: row.id as string,
    at: row.at as number,
    licenseId: row.license_id as string,
    installationId: row.installation_id as string,
    sdkVersion: row.sdk_version as string,
    credentialsInUse: row.credentials_in_use as number,
    outcome: row.outcome as CheckRecord['outcome'],
  };
}

export class SqliteEventSources implements EventSourceStore {
  constructor(private readonly db: () => Database.Database) {}

  async listUnconvertedCheckFailures(limit: number): Promise<CheckFailure[]> {
    const rows = this.db()
      .prepare('SELECT * FROM check_failures WHERE converted = 0 ORDER BY at, id LIMIT ?')
      .all(limit) as Row[];
    return rows.map(failureOf);
  }

  async markCheckFailuresConverted(ids: string[]): Promise<void> {
    const db = this.db();
    const mark = db.prepare('UPDATE check_failures SET converted = 1 WHERE id = ?');
    db.transaction(() => {
      for (const id of ids) mark.run(id);
    }).immediate();
  }

  async listChecksAfter(
    after: { at: number; id: string } | null,
    before: number,
    limit: number,
  ): Promise<CheckRecord[]> {
    const rows = this.db()
      .prepare(`SELECT * FROM checks INDEXED BY checks_by_time
        WHERE at >= ? AND at < ? AND (at > ? OR id > ?) ORDER BY at, id LIMIT ?`)
      .all(after?.at ?? 0, before, after?.at ?? -1, after?.id ?? '', limit) as Row[];
    return rows.map(checkOf);
  }

  async previousCheck(
    licenseId: string,
    before: { at: number; id: string },
  ): Promise<CheckRecord | null> {
    const row = this.db()
      .prepare(`SELECT * FROM checks INDEXED BY checks_by_license
        WHERE license_id = ? AND at <= ? AND (at < ? OR id < ?) ORDER BY at DESC, id DESC LIMIT 1`)
      .get(licenseId, before.at, before.at, before.id) as Row | undefined;
    return row === undefined ? null : checkOf(row);
  }

  async listQuietInstallations(
    from: number,
    quietSince: number,
    minChecks: number,
    limit: number,
    after: QuietInstallationKey | null = null,
  ): Promise<QuietInstallation[]> {
    const rows = this.db()
      .prepare(`SELECT license_id, installation_id, max(at) AS last_at, count(*) AS checks
        FROM checks INDEXED BY checks_by_time WHERE at >= ?
        GROUP BY license_id, installation_id
        HAVING max(at) < ? AND count(*) >= ?
          AND (max(at) > ? OR (max(at) = ? AND (license_id > ?
            OR (license_id = ? AND installation_id > ?))))
        ORDER BY last_at, license_id, installation_id LIMIT ?`)
      .all(
        from,
        quietSince,
        minChecks,
        after?.lastAt ?? -1,
        after?.lastAt ?? -1,
        after?.licenseId ?? '',
        after?.licenseId ?? '',
        after?.installationId ?? '',
        limit,
      ) as Row[];
    return rows.map((row) => ({
      licenseId: row.license_id as string,
      installationId: row.installation_id as string,
      lastAt: row.last_at as number,
      checks: row.checks as number,
    }));
  }
}
