// Bulk loads on SQLite beyond transactions (sqlite-commit.ts, importMany): check records and
// approval requests, each load one SQLite transaction, so a load stopped half-way leaves nothing.
//
// Check records: a large load into a table that holds fewer records than it brings is written
// without the table's secondary indexes, which are built again by sorting once the rows are in
// (CREATE INDEX), inside the same transaction. Grown record by record, the index of checks by
// license takes each record at a random page of an index larger than any cache, and every
// commit writes those pages again: the seeding of 50 million records would write hundreds of
// gigabytes. Readers keep their snapshot (WAL) with its indexes throughout; writers wait.

import type Database from 'better-sqlite3';
import type { ApprovalRequest, CheckRecord } from '../../records.js';
import type { ChecksImport } from '../ports.js';
import { webhookEventOfRequest } from '../webhook-events.js';
import { appendOutboxSync } from './automation.js';

interface IndexDefinition {
  name: string;
  sql: string;
}

/** The checks table's own indexes (not the primary key's), as created. */
function checkIndexes(db: Database.Database): IndexDefinition[] {
  return db
    .prepare(
      `SELECT name, sql FROM sqlite_master
       WHERE type = 'index' AND tbl_name = 'checks' AND sql IS NOT NULL ORDER BY name`,
    )
    .all() as IndexDefinition[];
}

/** Rows per INSERT of a bulk check load: one statement binds many rows (about 30% less CPU). */
const ROWS_PER_INSERT = 100;

function checkInsertSql(rows: number): string {
  return `INSERT OR IGNORE INTO checks
    (id, at, license_id, installation_id, sdk_version, credentials_in_use, outcome)
    VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
}

/** Stores every record (one whose id is stored already is skipped), all or none. */
export function importChecksSync(
  db: Database.Database,
  records: Iterable<CheckRecord>,
  expected: number,
): ChecksImport {
  const insertMany = db.prepare(checkInsertSql(ROWS_PER_INSERT));
  const insertOne = db.prepare(checkInsertSql(1));
  return db
    .transaction((): ChecksImport => {
      // max(rowid) is read from the end of the table, not counted: at least the records held.
      const held = (db.prepare('SELECT max(rowid) AS n FROM checks').get() as { n: number | null })
        .n;
      const rebuilt = expected > (held ?? 0) ? checkIndexes(db) : [];
      for (const index of rebuilt) db.exec(`DROP INDEX ${index.name}`);
      let read = 0;
      let written = 0;
      // The columns of ROWS_PER_INSERT records, in order; a record twice in one statement is
      // stored once (OR IGNORE), as in two.
      let values: unknown[] = [];
      for (const record of records) {
        read += 1;
        values.push(
          record.id,
          record.at,
          record.licenseId,
          record.installationId,
          record.sdkVersion,
          record.credentialsInUse,
          record.outcome,
        );
        if (values.length === ROWS_PER_INSERT * 7) {
          written += insertMany.run(values).changes;
          values = [];
        }
      }
      for (let at = 0; at < values.length; at += 7) {
        written += insertOne.run(values.slice(at, at + 7)).changes;
      }
      for (const index of rebuilt) db.exec(index.sql);
      return { read, written, indexesRebuilt: rebuilt.map((index) => index.name) };
    })
    .immediate();
}

/** Stores each request that is new (by id or challenge), with its request.created event. */
export function importRequestsSync(db: Database.Database, requests: ApprovalRequest[]): number {
  const insert = db.prepare(`INSERT OR IGNORE INTO requests
    (id, challenge_hash, status, license_id, created_at, body)
    VALUES (@id, @challengeHash, @status, @licenseId, @createdAt, @body)`);
  return db
    .transaction(() => {
      let written = 0;
      for (const request of requests) {
        if (insert.run({ ...request, body: JSON.stringify(request) }).changes === 1) {
          written += 1;
          appendOutboxSync(db, [webhookEventOfRequest(request)]);
        }
      }
      return written;
    })
    .immediate();
}
