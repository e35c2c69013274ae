// Migration 22 (src/store/sqlite/sqlite-catalog.ts, PLAN_REVISION_INDEX_SQL) taken back: the
// licenses table as a Licensor of schema 21 left it, without the plan columns and their index.
// The migrations after it taken back before it; taken back first by the tests that make a store of an older schema (newest first).

import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { TAKE_BACK_SCAN_MARKS_SQL } from './scan-marks-taken-back.js';

export const PLAN_REVISION_MIGRATION = MIGRATIONS.find((m) =>
  m.sql.includes('licenses_by_plan_revision'),
)!.version;

export const TAKE_BACK_PLAN_REVISION_SQL = `${TAKE_BACK_SCAN_MARKS_SQL}
  DROP INDEX licenses_by_plan_revision;
  ALTER TABLE licenses DROP COLUMN plan_revision;
  ALTER TABLE licenses DROP COLUMN plan_id;
  DELETE FROM schema_migrations WHERE version = ${PLAN_REVISION_MIGRATION};
`;
