// Migration 21 (src/store/sqlite/nonce-keys.ts) taken back: the nonce window as a Licensor of
// schema 20 left it, keyed `installation.nonce`, its rows kept. For tests that make a store of an
// older schema out of one of today (a migration's changes are taken back newest first: the
// migrations after 21 before it).

import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { TAKE_BACK_PLAN_REVISION_SQL } from './plan-revision-taken-back.js';

export const NONCE_KEYS_MIGRATION = MIGRATIONS.find((m) =>
  m.sql.includes('check_nonces_by_time'),
)!.version;

export const TAKE_BACK_NONCE_KEYS_SQL = `${TAKE_BACK_PLAN_REVISION_SQL}
  CREATE TABLE check_nonces_by_key (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  );
  INSERT INTO check_nonces_by_key (key, expires_at)
    SELECT installation_id || '.' || nonce, expires_at FROM check_nonces;
  DROP TABLE check_nonces;
  ALTER TABLE check_nonces_by_key RENAME TO check_nonces;
  CREATE INDEX check_nonces_by_expiry ON check_nonces (expires_at);
  DELETE FROM schema_migrations WHERE version = ${NONCE_KEYS_MIGRATION};
`;
