// The webhook-retention migration (25; src/store/sqlite/automation.ts, WEBHOOK_RETENTION_SQL)
// taken back: the store as a Licensor of schema 24 left it, without the indexes of the webhook
// retention sweep. Taken back first by the tests that make a store of an older schema (newest
// first).

import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';

export const WEBHOOK_RETENTION_MIGRATION = MIGRATIONS.find((m) =>
  m.sql.includes('webhook_deliveries_by_event'),
)!.version;

export const TAKE_BACK_WEBHOOK_RETENTION_SQL = `
  DROP INDEX webhook_outbox_fanned;
  DROP INDEX webhook_deliveries_by_event;
  DELETE FROM schema_migrations WHERE version = ${WEBHOOK_RETENTION_MIGRATION};
`;
