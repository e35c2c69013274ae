// Migration 22 (src/store/sqlite/sqlite-catalog.ts, PLAN_REVISION_INDEX_SQL) taken back: the
// licenses table as a Licensor of schema 21 left it, without the plan columns and their index.
// Taken back first by the tests that make a store of an older schema (newest first).

import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';

export const PLAN_REVISION_MIGRATION = MIGRATIONS.find((m) =>
  m.sql.includes('licenses_by_plan_revision'),
)!.version;

export const TAKE_BACK_PLAN_REVISION_SQL = `
  DROP INDEX licenses_by_plan_revision;
  ALTER TABLE licenses DROP COLUMN plan_revision;
  ALTER TABLE licenses DROP COLUMN plan_id;
  DELETE FROM schema_migrations WHERE version = ${PLAN_REVISION_MIGRATION};
`;
