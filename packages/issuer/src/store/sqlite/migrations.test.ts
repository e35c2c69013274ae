import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  HELD_REVISIONS_MIGRATION,
  TAKE_BACK_HELD_REVISIONS_SQL,
} from '../../../test/support/held-revisions-taken-back.js';
import { SQLITE_FILE } from '../open-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { PLAN_REVISION_INDEX_SQL } from './sqlite-catalog.js';
import { SqliteStore } from './sqlite-store.js';

/** The migration that gave each transaction its indexed `kid`. */
const KID_MIGRATION = MIGRATIONS.find((m) => m.sql.includes('transactions_by_kid'))!.version;

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'licensor-sqlite-'));
}

describe('SQLite schema', () => {
  it('records each migration once, and reopening changes nothing', async () => {
    const dir = freshDir();
    await SqliteStore.open(dir).close();
    await SqliteStore.open(dir).close();
    const db = new Database(join(dir, SQLITE_FILE));
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(
      MIGRATIONS.map(({ version }) => ({ version })),
    );
    expect(MIGRATIONS.at(-1)?.version).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a file written by a newer version', () => {
    const dir = freshDir();
    SqliteStore.open(dir).close();
    const db = new Database(join(dir, SQLITE_FILE));
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      'future',
      0,
    );
    db.close();
    expect(() => SqliteStore.open(dir)).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_SCHEMA' }),
    );
  });

  it('keeps the audit log append-only even for direct SQL', async () => {
    const dir = freshDir();
    const store = SqliteStore.open(dir);
    await store.appendAuditEvent({
      id: 'evt_1',
      at: 1,
      actor: 'a',
      action: 'x',
      subjectId: null,
      transactionId: null,
      details: {},
    });
    await store.close();
    const db = new Database(join(dir, SQLITE_FILE));
    expect(() => db.prepare(`UPDATE audit_events SET actor = 'b'`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
    db.close();
  });

  it('keeps the signing keys of a schema-1 store when it learns of keys in an HSM', async () => {
    const dir = freshDir();
    const db = new Database(join(dir, SQLITE_FILE));
    db.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
    db.prepare(
      `INSERT INTO signing_keys (kid, purpose, public_key, protection, sealed, created_at, retired_at)
       VALUES ('k1', 'license', '{"x":1}', 'encrypted', '{"s":1}', 5, NULL)`,
    ).run();
    db.close();
    await SqliteStore.open(dir).close();
    const after = new Database(join(dir, SQLITE_FILE));
    expect(after.prepare('SELECT * FROM signing_keys').all()).toEqual([
      {
        kid: 'k1',
        purpose: 'license',
        public_key: '{"x":1}',
        protection: 'encrypted',
        sealed: '{"s":1}',
        hsm: null,
        created_at: 5,
        retired_at: null,
        // Key states came later (migration 9): null, the state follows the old rule.
        state: null,
        activated_at: null,
        revoked_at: null,
        // License keys of one product came later (#12.1): null, a key of the vendor's own.
        product_id: null,
      },
    ]);
    // An HSM key must say where it is; another key must not claim to be in one.
    const insert = after.prepare(
      `INSERT INTO signing_keys (kid, purpose, public_key, protection, hsm, created_at)
       VALUES (?, 'license', '{}', ?, ?, 6)`,
    );
    expect(() => insert.run('k2', 'pkcs11', null)).toThrow(/CHECK constraint/);
    expect(() => insert.run('k3', 'file', '{"token":"t","label":"l"}')).toThrow(/CHECK constraint/);
    after.close();
  });

  it('back-fills the signing kid of every transaction of a store written before it (#11)', async () => {
    const dir = freshDir();
    const db = new Database(join(dir, SQLITE_FILE));
    db.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const before = MIGRATIONS.filter((m) => m.version < KID_MIGRATION);
    for (const migration of before) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(
        migration.version,
        migration.name,
      );
    }
    const token = (kid: string) =>
      `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'licensor-license+jwt', kid })).toString('base64url')}.e30.sig`;
    const insert = db.prepare(`INSERT INTO transactions
      (id, dedupe_key, license_slot, customer_slot, kind, at, license_id, customer_id, applied, body)
      VALUES (?, ?, ?, ?, ?, 1, ?, 'cus_1', 1, ?)`);
    // A body with its kid (every release wrote one), one without (a hand-made row), a state change.
    insert.run(
      'txn_1',
      'd1',
      's1',
      'c1',
      'issue',
      'lic_1',
      JSON.stringify({ token: token('kA'), kid: 'kA' }),
    );
    insert.run('txn_2', 'd2', 's2', 'c2', 'renew', 'lic_1', JSON.stringify({ token: token('kB') }));
    insert.run(
      'txn_3',
      'd3',
      's3',
      'c3',
      'suspend',
      'lic_1',
      JSON.stringify({ token: null, kid: null }),
    );
    db.close();
    const store = SqliteStore.open(dir);
    expect(await store.keyUsage.countSignedByKeys(['kA', 'kB', 'kC'])).toEqual([
      { kid: 'kA', tokens: 1, licenses: 1 },
      { kid: 'kB', tokens: 1, licenses: 1 },
      { kid: 'kC', tokens: 0, licenses: 0 },
    ]);
    expect((await store.getTransaction('txn_2'))?.kid).toBe('kB');
    await store.close();
    const after = new Database(join(dir, SQLITE_FILE));
    expect(after.prepare('SELECT id, kid FROM transactions ORDER BY id').all()).toEqual([
      { id: 'txn_1', kid: 'kA' },
      { id: 'txn_2', kid: 'kB' },
      { id: 'txn_3', kid: null },
    ]);
    // Counted through the index.
    const plan = after
      .prepare('EXPLAIN QUERY PLAN SELECT count(*) FROM transactions WHERE kid = ?')
      .all('kA') as { detail: string }[];
    expect(plan.map((p) => p.detail).join()).toContain('USING INDEX transactions_by_kid (kid=?)');
    after.close();
  });

  it('the held-revisions migration marks when the store began recording the revisions installations hold: at the upgrade, once', async () => {
    const dir = freshDir();
    const store = SqliteStore.open(dir);
    const created = await store.keyUsage.revisionReportsSince();
    await store.close();
    expect(created).toBeGreaterThan(Date.now() - 60_000);
    // A store of the schema before the migration.
    const db = new Database(join(dir, SQLITE_FILE));
    db.exec(TAKE_BACK_HELD_REVISIONS_SQL);
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({
      v: HELD_REVISIONS_MIGRATION - 1,
    });
    db.close();
    const upgradedAt = Date.now();
    const upgraded = SqliteStore.open(dir);
    const since = await upgraded.keyUsage.revisionReportsSince();
    expect(since).toBeGreaterThanOrEqual(upgradedAt);
    expect(await upgraded.keyUsage.getHeldRevision('lic_1', 'inst')).toBeNull();
    await upgraded.close();
    // Reopened: the marker stays as the upgrade wrote it.
    const reopened = SqliteStore.open(dir);
    expect(await reopened.keyUsage.revisionReportsSince()).toBe(since);
    await reopened.close();
  });

  it('refuses a migration that meets a damaged JSON body by naming the record, and leaves the file as it was', () => {
    const dir = freshDir();
    // The file as the Licensor before the plan-revision index left it (its migrations only),
    // with one license whose body was damaged outside Licensor and one whose body is fine.
    const version = MIGRATIONS.find((m) => m.sql === PLAN_REVISION_INDEX_SQL)!.version;
    const db = new Database(join(dir, SQLITE_FILE));
    db.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    for (const migration of MIGRATIONS.filter((m) => m.version < version)) {
      db.exec(migration.sql);
      migration.backfill?.(db, 1);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 1)').run(migration.version, 'x');
    }
    const insert = db.prepare(`INSERT INTO licenses
      (id, customer_id, customer_name, state, model, seq, updated_at, body)
      VALUES (?, 'cus_1', 'Acme', 'active', 'perpetual', 1, 1, ?)`);
    insert.run('lic_fine', '{"id":"lic_fine"}');
    insert.run('lic_damaged', '{"id":"lic_damaged", "entitlem');
    db.close();

    expect(() => SqliteStore.open(dir)).toThrow(
      expect.objectContaining({
        code: 'ERR_STORE_SCHEMA',
        message: expect.stringMatching(
          new RegExp(
            `migration ${version} .*licenses lic_damaged: their JSON bodies are damaged.*` +
              `still at schema version ${version - 1}.*Restore licensor.db from a backup`,
          ),
        ),
      }),
    );
    const after = new Database(join(dir, SQLITE_FILE));
    const applied = after.prepare('SELECT max(version) AS v FROM schema_migrations').get();
    expect(applied).toEqual({ v: version - 1 });
    const columns = after.prepare('SELECT name FROM pragma_table_info(?)').all('licenses');
    expect(columns).not.toContainEqual({ name: 'plan_id' });
    expect(after.prepare('SELECT count(*) AS n FROM licenses').get()).toEqual({ n: 2 });

    // Repaired, the store opens and the migration is applied.
    after.prepare('UPDATE licenses SET body = ? WHERE id = ?').run('{}', 'lic_damaged');
    after.close();
    SqliteStore.open(dir).close();
    const reopened = new Database(join(dir, SQLITE_FILE));
    expect(reopened.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({
      v: SCHEMA_VERSION,
    });
    reopened.close();
  });

  it('reports an unusable folder as ERR_STORE_UNAVAILABLE', () => {
    const file = join(freshDir(), 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => SqliteStore.open(join(file, 'data'))).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE' }),
    );
  });
});

describe('SQLite store file', () => {
  it('refuses a zero-byte licensor.db as corrupt and leaves it as it was (#16.7)', () => {
    const dir = freshDir();
    const file = join(dir, SQLITE_FILE);
    writeFileSync(file, '');
    expect(() => SqliteStore.open(dir)).toThrow(
      expect.objectContaining({
        code: 'ERR_STORE_CORRUPT',
        message: expect.stringMatching(/is empty \(0 bytes\).*not a Licensor store/),
      }),
    );
    expect(statSync(file).size).toBe(0);
  });
});
