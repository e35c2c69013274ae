// The dashboard's read on SQLite (usage-watch-port.ts): one grouped scan of the window's raw
// checks through `checks_by_time`, each license's newest row picked by max(at) (SQLite takes a
// bare column from the row that holds the max), joined to the licenses.

import type { CheckOutcome } from '@licensor/token';
import type Database from 'better-sqlite3';
import type { License } from '../../records.js';
import type { LicenseLastCheck } from '../usage-watch-port.js';

const LAST_CHECKS = `SELECT l.body AS body, c.at AS at, c.credentials_in_use AS in_use,
    c.outcome AS outcome
  FROM (SELECT license_id, max(at) AS at, credentials_in_use, outcome
      FROM checks INDEXED BY checks_by_time WHERE at >= ? GROUP BY license_id) AS c
  JOIN licenses AS l ON l.id = c.license_id`;

interface Row {
  body: string;
  at: number;
  in_use: number;
  outcome: CheckOutcome;
}

export function lastChecks(db: Database.Database, since: number): LicenseLastCheck[] {
  return (db.prepare(LAST_CHECKS).all(since) as Row[]).map((row) => ({
    license: JSON.parse(row.body) as License,
    lastCheck: { at: row.at, credentialsInUse: row.in_use, outcome: row.outcome },
  }));
}
