// Schema of the SQLite store, as numbered migrations recorded in `schema_migrations`. Records
// are kept as JSON bodies beside the columns that are searched, ordered or kept unique, so a
// new field in a record needs no migration; a new index or constraint does.

import type Database from 'better-sqlite3';
import { StoreSchemaError } from '../../errors.js';
import { AUDIT_CHAIN_SQL } from './audit-chain.js';
import {
  AUTOMATION_TABLES_SQL,
  SCAN_MARKS_SQL,
  WEBHOOK_RETENTION_SQL,
  WEBHOOK_TABLES_SQL,
} from './automation.js';
import { CHAIN_TABLES_SQL, FORK_POLICY_SUBJECTS_SQL } from './chains.js';
import { CHECK_FAILURES_SQL } from './event-sources.js';
import { INSTALLATION_SEQ_SQL } from './installation-seq.js';
import {
  backfillTransactionKids,
  HELD_REVISIONS_SQL,
  KEY_USAGE_SQL,
  markHeldRevisions,
} from './key-usage.js';
import { NONCE_KEYS_EXPIRED_SQL, NONCE_KEYS_SQL } from './nonce-keys.js';
import { CATALOG_MIGRATION, PLAN_REVISION_INDEX_SQL } from './sqlite-catalog.js';
import { KEY_STATES_SQL } from './sqlite-keys.js';
import { PRODUCT_KEYS_SQL } from './sqlite-product-keys.js';
import { SSO_TABLES_SQL } from './sso.js';
import { TWO_FACTOR_TABLES_SQL } from './two-factor.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Rows the SQL cannot fill itself, in the same SQLite transaction (`now`: migrate's). */
  backfill?: (db: Database.Database, now: number) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE transactions (
        id TEXT PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        license_slot TEXT NOT NULL UNIQUE,
        customer_slot TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        at INTEGER NOT NULL,
        license_id TEXT,
        customer_id TEXT,
        applied INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX transactions_by_license ON transactions (license_id, at);
      CREATE INDEX transactions_by_customer ON transactions (customer_id, at);
      CREATE INDEX transactions_unapplied ON transactions (applied) WHERE applied = 0;

      CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX customers_by_name ON customers (name COLLATE NOCASE);

      CREATE TABLE installations (
        id TEXT PRIMARY KEY,
        last_seen_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );

      CREATE TABLE licenses (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        customer_name TEXT NOT NULL,
        state TEXT NOT NULL,
        model TEXT NOT NULL,
        installation_id TEXT,
        term_end INTEGER,
        seq INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX licenses_by_customer ON licenses (customer_id);
      CREATE INDEX licenses_by_installation ON licenses (installation_id);
      CREATE INDEX licenses_by_update ON licenses (updated_at);

      CREATE TABLE requests (
        id TEXT PRIMARY KEY,
        challenge_hash TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        license_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX requests_by_status ON requests (status, created_at);
      CREATE INDEX requests_by_license ON requests (license_id, created_at);

      CREATE TABLE checks (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        license_id TEXT NOT NULL,
        installation_id TEXT NOT NULL,
        sdk_version TEXT NOT NULL,
        credentials_in_use INTEGER NOT NULL,
        outcome TEXT NOT NULL
      );
      CREATE INDEX checks_by_license ON checks (license_id, at);

      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject_id TEXT,
        transaction_id TEXT,
        details TEXT NOT NULL
      );
      CREATE INDEX audit_events_by_time ON audit_events (at);
      CREATE INDEX audit_events_by_subject ON audit_events (subject_id, at);
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('license', 'status')),
        public_key TEXT NOT NULL,
        protection TEXT NOT NULL CHECK (protection IN ('encrypted', 'file')),
        sealed TEXT,
        created_at INTEGER NOT NULL,
        retired_at INTEGER
      );
      CREATE INDEX signing_keys_by_purpose ON signing_keys (purpose, created_at);

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL,
        disabled INTEGER NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  { version: 2, name: 'api tokens, portal sessions, login failures', sql: AUTOMATION_TABLES_SQL },
  { version: 3, ...CATALOG_MIGRATION },
  {
    version: 4,
    name: 'check roll-ups per license per day',
    sql: `
      CREATE INDEX checks_by_time ON checks (at);
      CREATE TABLE check_days (
        license_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        checks INTEGER NOT NULL,
        valid INTEGER NOT NULL,
        expired INTEGER NOT NULL,
        suspended INTEGER NOT NULL,
        revoked INTEGER NOT NULL,
        unknown INTEGER NOT NULL,
        usage_min INTEGER NOT NULL,
        usage_max INTEGER NOT NULL,
        usage_last INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (license_id, day)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'signing keys in a PKCS#11 token',
    // SQLite cannot change a CHECK constraint in place: the table is rebuilt, rows kept.
    sql: `
      CREATE TABLE signing_keys_next (
        kid TEXT PRIMARY KEY,
        purpose TEXT NOT NULL CHECK (purpose IN ('license', 'status')),
        public_key TEXT NOT NULL,
        protection TEXT NOT NULL CHECK (protection IN ('encrypted', 'file', 'pkcs11')),
        sealed TEXT,
        hsm TEXT,
        created_at INTEGER NOT NULL,
        retired_at INTEGER,
        CHECK ((protection = 'pkcs11') = (hsm IS NOT NULL))
      );
      INSERT INTO signing_keys_next (kid, purpose, public_key, protection, sealed, created_at, retired_at)
        SELECT kid, purpose, public_key, protection, sealed, created_at, retired_at FROM signing_keys;
      DROP TABLE signing_keys;
      ALTER TABLE signing_keys_next RENAME TO signing_keys;
      CREATE INDEX signing_keys_by_purpose ON signing_keys (purpose, created_at);
    `,
  },
  { version: 6, name: 'check chains, forks, fork policies, check nonces', sql: CHAIN_TABLES_SQL },
  { version: 7, name: 'webhook endpoints, outbox, deliveries', sql: WEBHOOK_TABLES_SQL },
  {
    version: 8,
    name: 'indexes for a large store (query plans in query-plans.test.ts)',
    sql: `
      CREATE INDEX customers_by_exact_name ON customers (name);
      DROP INDEX licenses_by_update;
      CREATE INDEX licenses_by_update ON licenses (updated_at, id);
      DROP INDEX licenses_by_customer;
      CREATE INDEX licenses_by_customer ON licenses (customer_id, updated_at, id);
      CREATE INDEX licenses_by_state ON licenses (state, updated_at, id);
      CREATE INDEX licenses_by_term_end ON licenses (term_end, updated_at, id)
        WHERE term_end IS NOT NULL;
      CREATE INDEX audit_events_by_action ON audit_events (action, at);
      CREATE INDEX audit_events_by_actor ON audit_events (actor, at);
    `,
  },
  { version: 9, name: 'signing key states, signed key sets', sql: KEY_STATES_SQL },
  {
    version: 10,
    name: "a day's last outcome in its roll-up; indexes for forks and session sweeps",
    // The last check past the window; the newest forks, and the session sweep, through an index
    // (query-plans.test.ts).
    sql: `
      ALTER TABLE check_days ADD COLUMN last_outcome TEXT;
      CREATE INDEX forks_by_time ON forks (detected_at DESC, id);
      CREATE INDEX portal_sessions_by_created ON portal_sessions (created_at);
    `,
  },
  {
    version: 11,
    name: 'portal two-factor: TOTP, recovery codes, policy',
    sql: TWO_FACTOR_TABLES_SQL,
  },
  {
    version: 12,
    name: 'customers paged by name (keyset)',
    sql: `
      DROP INDEX customers_by_name;
      CREATE INDEX customers_by_name ON customers (name COLLATE NOCASE, id);
    `,
  },
  { version: 13, name: 'the audit log as a hash chain', sql: AUDIT_CHAIN_SQL },
  {
    version: 14,
    name: 'portal single sign-on: logins in flight, linked identities',
    sql: SSO_TABLES_SQL,
  },
  {
    version: 15,
    name: 'fork policies of plans, suspend-both',
    sql: FORK_POLICY_SUBJECTS_SQL,
  },
  {
    version: 16,
    name: 'users: a one-time password is marked until its user changes it',
    sql: 'ALTER TABLE users ADD COLUMN password_one_time INTEGER NOT NULL DEFAULT 0;',
  },
  { version: 17, name: 'check failures (check.failed webhooks)', sql: CHECK_FAILURES_SQL },
  {
    version: 18,
    name: 'the signing kid of each transaction; the key set each installation trusts',
    sql: KEY_USAGE_SQL,
    backfill: (db) => void backfillTransactionKids(db),
  },
  { version: 19, name: 'license keys of one product, product key sets', sql: PRODUCT_KEYS_SQL },
  {
    version: 20,
    name: 'licenses of an installation by its number, not its key thumbprint (installation-seq.ts)',
    sql: INSTALLATION_SEQ_SQL,
  },
  {
    version: 21,
    name: "the check nonce window keyed by the check's iat first (nonce-keys.ts)",
    sql: NONCE_KEYS_SQL,
    // The rows held at the upgrade are kept (they refuse their replays); those expired are not.
    backfill: (db, now) => void db.prepare(NONCE_KEYS_EXPIRED_SQL).run(now),
  },
  {
    version: 22,
    name: "a plan's licenses on an older revision, paged by index (sqlite-catalog.ts)",
    sql: PLAN_REVISION_INDEX_SQL,
  },
  {
    version: 23,
    name: 'scan marks: where the subscription.expiring scan has got (webhooks)',
    sql: SCAN_MARKS_SQL,
  },
  {
    version: 24,
    name: 'the license revision each installation reports holding (key-usage.ts)',
    sql: HELD_REVISIONS_SQL,
    // Checks recorded before now reported no revision (key-dependents.ts tells them apart).
    backfill: (db, now) => markHeldRevisions(db, now),
  },
  {
    version: 25,
    name: 'webhook retention: events fanned out by time, deliveries by event (automation.ts)',
    sql: WEBHOOK_RETENTION_SQL,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the file to the newest schema; refuses a file written by a newer Licensor. */
export function migrate(db: Database.Database, now: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const run = db.transaction(() => {
    const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    const current = row.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StoreSchemaError(
        `the store has schema version ${current}, this Licensor knows up to ${SCHEMA_VERSION}: upgrade Licensor`,
      );
    }
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      try {
        db.exec(migration.sql);
        migration.backfill?.(db, now);
      } catch (error) {
        throw migrationFailed(db, migration, current, error);
      }
      record.run(migration.version, migration.name, now);
    }
  });
  // IMMEDIATE: two processes opening a fresh file at once migrate one after the other.
  run.immediate();
}

/** SQLite's words for a JSON function given text that is not JSON. */
const MALFORMED_JSON = /malformed JSON/i;

/**
 * A migration that failed, as an error that says what to do: the transaction is rolled back, so
 * the file is as it was (still at schema `current`). A record whose JSON body is damaged (an edit
 * outside Licensor, a bad restore) stops a migration that reads bodies into an index: the error
 * names the table and the first records, so they can be repaired or the file restored. An error
 * of the disk or the lock (SQLITE_FULL, SQLITE_BUSY, SQLITE_IOERR…) is rethrown as it is: the
 * store's callers already name those.
 */
function migrationFailed(
  db: Database.Database,
  migration: Migration,
  current: number,
  error: unknown,
): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!MALFORMED_JSON.test(message)) return error;
  const unchanged = `The file is unchanged (still at schema version ${current}).`;
  const damaged = damagedBodies(db);
  const where =
    damaged.length === 0
      ? 'a record holds a body that is not JSON'
      : `${damaged
          .map(({ table, ids }) => `${table} ${ids.join(', ')}${ids.length === 5 ? ', …' : ''}`)
          .join('; ')}: their JSON bodies are damaged`;
  return new StoreSchemaError(
    `migration ${migration.version} ("${migration.name}") cannot be applied: ${where} ` +
      `(edited outside Licensor, or a damaged copy). ${unchanged} Restore licensor.db from a ` +
      'backup, or repair those records with sqlite3, then open the store again.',
  );
}

/** The tables with a JSON `body`, and the ids (first five) of their rows whose body is not JSON. */
function damagedBodies(db: Database.Database): { table: string; ids: string[] }[] {
  const tables = db
    .prepare(
      `SELECT m.name AS name FROM sqlite_master m
       WHERE m.type = 'table' AND EXISTS (
         SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'body')
       AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'id')`,
    )
    .all() as { name: string }[];
  const found: { table: string; ids: string[] }[] = [];
  for (const { name } of tables) {
    const ids = (
      db
        .prepare(
          `SELECT id FROM "${name.replaceAll('"', '""')}" WHERE json_valid(body) = 0 LIMIT 5`,
        )
        .all() as { id: unknown }[]
    ).map((row) => String(row.id));
    if (ids.length > 0) found.push({ table: name, ids });
  }
  return found;
}
