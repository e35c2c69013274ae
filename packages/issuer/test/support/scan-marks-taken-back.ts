// The scan-marks migration (23; src/store/sqlite/automation.ts, SCAN_MARKS_SQL) taken back: the
// store as a Licensor of schema 22 left it, without where the subscription.expiring scan got.
// The migrations after it taken back before it; taken back first by the tests that make a store
// of an older schema (newest first).

import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { TAKE_BACK_HELD_REVISIONS_SQL } from './held-revisions-taken-back.js';

export const SCAN_MARKS_MIGRATION = MIGRATIONS.find((m) =>
  m.sql.includes('CREATE TABLE scan_marks'),
)!.version;

export const TAKE_BACK_SCAN_MARKS_SQL = `${TAKE_BACK_HELD_REVISIONS_SQL}
  DROP TABLE scan_marks;
  DELETE FROM schema_migrations WHERE version = ${SCAN_MARKS_MIGRATION};
`;
