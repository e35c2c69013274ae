// The held-revisions migration (24; src/store/sqlite/key-usage.ts, HELD_REVISIONS_SQL) taken back: the store as a
// Licensor of schema 23 left it, without the revisions installations reported holding and the
// marker of when it began recording them. Taken back first by the tests that make a store of an
// older schema (newest first); the migrations after it taken back before it.

import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { TAKE_BACK_WEBHOOK_RETENTION_SQL } from './webhook-retention-taken-back.js';

export const HELD_REVISIONS_MIGRATION = MIGRATIONS.find((m) =>
  m.sql.includes('CREATE TABLE held_revisions'),
)!.version;

export const TAKE_BACK_HELD_REVISIONS_SQL = `${TAKE_BACK_WEBHOOK_RETENTION_SQL}
  DROP TABLE held_revisions;
  DROP TABLE store_markers;
  DELETE FROM schema_migrations WHERE version = ${HELD_REVISIONS_MIGRATION};
`;
