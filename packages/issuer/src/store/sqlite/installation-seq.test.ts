// Migration 20 (installation-seq.ts): the licenses of an installation found through its number.
// A store written before it is made the way it was: a store of today issued into, then the
// migration's changes taken back (its schema compared with what migrations 1-19 make), then
// opened again, which migrates it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@licensor/token';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TAKE_BACK_NONCE_KEYS_SQL } from '../../../test/support/nonce-keys-taken-back.js';
import { openIssuer } from '../../domain/open-issuer.js';
import { InstallationLicensedError } from '../../errors.js';
import type { Issuer } from '../../facade.js';
import type { License } from '../../records.js';
import { freshChallenge } from '../../seed/fresh-challenge.js';
import { SQLITE_FILE } from '../open-store.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const SEQ_MIGRATION = MIGRATIONS.find((m) => m.sql.includes('installation_seq'))!.version;
const TERMS = { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 } as const;
const ORPHAN = 'thumbprint-of-an-installation-with-no-row';

const dirs: string[] = [];
const opened: SqliteStore[] = [];

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-installation-seq-'));
  dirs.push(dir);
  return dir;
}

async function issuerOn(dir: string): Promise<{ store: SqliteStore; issuer: Issuer }> {
  const store = SqliteStore.open(dir, { warm: true });
  opened.push(store);
  const issuer = await openIssuer({ store, passphrase: '' });
  return { store, issuer };
}

async function closeAll(): Promise<void> {
  for (const store of opened.splice(0)) await store.close();
}

/** Migration 20 taken back (and those after it): the file as a Licensor of schema 19 left it. */
function takeBackMigration(dir: string): void {
  const db = new Database(join(dir, SQLITE_FILE));
  db.exec(TAKE_BACK_NONCE_KEYS_SQL);
  db.exec(`
    DROP TRIGGER licenses_installation_seq_on_insert;
    DROP TRIGGER licenses_installation_seq_on_rebind;
    DROP TRIGGER installations_unnumber_on_delete;
    DROP TRIGGER installations_unnumber_on_rename;
    DROP INDEX licenses_by_installation_seq;
    DROP INDEX licenses_by_unnumbered_installation;
    ALTER TABLE licenses DROP COLUMN installation_seq;
    CREATE INDEX licenses_by_installation ON licenses (installation_id);
    CREATE TABLE installations_before (
      id TEXT PRIMARY KEY,
      last_seen_at INTEGER NOT NULL,
      body TEXT NOT NULL
    );
    INSERT INTO installations_before (rowid, id, last_seen_at, body)
      SELECT seq, id, last_seen_at, body FROM installations;
    DROP TABLE installations;
    ALTER TABLE installations_before RENAME TO installations;
    DELETE FROM schema_migrations WHERE version = ${SEQ_MIGRATION};
  `);
  db.close();
}

/** Tables, indexes and triggers with their columns: the shape of a schema, not its SQL text. */
function shapeOf(db: Database.Database): unknown {
  const objects = db
    .prepare(
      `SELECT type, name, tbl_name FROM sqlite_schema
       WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY type, name`,
    )
    .all() as { type: string; name: string }[];
  return objects.map((o) => ({
    ...o,
    columns:
      o.type === 'table'
        ? db.prepare('SELECT name, type, pk FROM pragma_table_info(?)').all(o.name)
        : o.type === 'index'
          ? db.prepare('SELECT name FROM pragma_index_info(?)').all(o.name)
          : null,
  }));
}

function schemaOf19(): unknown {
  const db = new Database(':memory:');
  for (const migration of MIGRATIONS.filter((m) => m.version < SEQ_MIGRATION)) {
    db.exec(migration.sql);
  }
  const shape = shapeOf(db);
  db.close();
  return shape;
}

const ids = (licenses: License[]) => licenses.map((l) => l.id);

describe('migration 20: the licenses of an installation by its number', () => {
  it('finds every license of a store written before it, and refuses what it refused', async () => {
    const dir = freshDir();
    const keys = Array.from({ length: 4 }, () => generateKeyPair());
    const challenges = keys.map((key) => freshChallenge({ key }));
    const before = await issuerOn(dir);
    await before.issuer.init('alice');
    const issued = [];
    for (const challenge of challenges)
      issued.push(await before.issuer.issue(challenge, TERMS, 'a'));
    await closeAll();

    takeBackMigration(dir);
    const old = new Database(join(dir, SQLITE_FILE));
    expect(shapeOf(old)).toEqual(schemaOf19());
    // A license bound to an installation that has no row (as a format-1 challenge leaves it).
    const body = JSON.parse(
      (
        old.prepare('SELECT body FROM licenses WHERE id = ?').get(issued[0]!.license.id) as {
          body: string;
        }
      ).body,
    ) as License;
    const orphan = { ...body, id: 'lic_orphan', installationId: ORPHAN };
    old
      .prepare(
        `INSERT INTO licenses (id, customer_id, customer_name, state, model, installation_id,
          term_end, seq, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
      )
      .run(
        orphan.id,
        orphan.customerId,
        orphan.customerName,
        orphan.state,
        orphan.model,
        ORPHAN,
        orphan.seq,
        orphan.updatedAt,
        JSON.stringify(orphan),
      );
    const rowids = old.prepare('SELECT rowid, id FROM installations ORDER BY rowid').all();
    const counts = () =>
      ['transactions', 'licenses', 'installations', 'audit_events'].map(
        (t) => (old.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
      );
    const countsBefore = counts();
    old.close();

    const { store, issuer } = await issuerOn(dir);
    const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
    expect(
      db.prepare('SELECT version FROM schema_migrations WHERE version = ?').get(SEQ_MIGRATION),
    ).toBeDefined();
    // Each installation numbered by the order it was stored in (its rowid before).
    expect(db.prepare('SELECT seq AS rowid, id FROM installations ORDER BY seq').all()).toEqual(
      rowids,
    );
    for (const [index, key] of keys.entries()) {
      expect(ids(await store.listLicensesOfInstallation(key.kid))).toEqual([
        issued[index]!.license.id,
      ]);
      expect(ids(await store.listLicenses({ installationId: key.kid }))).toEqual([
        issued[index]!.license.id,
      ]);
    }
    expect(ids(await store.listLicensesOfInstallation(ORPHAN))).toEqual(['lic_orphan']);
    // Numbered, all of them: only the orphan is left to the thumbprint's partial index.
    expect(
      db
        .prepare(
          `SELECT l.id FROM licenses l JOIN installations i ON i.id = l.installation_id
           WHERE l.installation_seq IS NOT i.seq`,
        )
        .all(),
    ).toEqual([]);
    expect(
      db
        .prepare(
          `SELECT id FROM licenses INDEXED BY licenses_by_unnumbered_installation
           WHERE installation_seq IS NULL AND installation_id IS NOT NULL`,
        )
        .pluck()
        .all(),
    ).toEqual(['lic_orphan']);
    expect(
      db.prepare('SELECT installation_seq FROM licenses WHERE id = ?').pluck().get('lic_orphan'),
    ).toBeNull();

    // The same challenge answers the same license key; a new challenge of a licensed
    // installation is refused, and nothing is written.
    const again = await issuer.issue(challenges[1]!, TERMS, 'a');
    expect(again.token).toBe(issued[1]!.token);
    await expect(issuer.issue(freshChallenge({ key: keys[2]! }), TERMS, 'a')).rejects.toThrow(
      expect.objectContaining({ code: InstallationLicensedError.code }),
    );
    const after = ['transactions', 'licenses', 'installations', 'audit_events'].map(
      (t) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
    );
    expect(after).toEqual(countsBefore);

    // A new installation is numbered after the others, its license found by that number.
    const key = generateKeyPair();
    const fresh = await issuer.issue(freshChallenge({ key }), TERMS, 'a');
    expect(db.prepare('SELECT seq FROM installations WHERE id = ?').pluck().get(key.kid)).toBe(
      keys.length + 1,
    );
    expect(
      db
        .prepare('SELECT installation_seq FROM licenses WHERE id = ?')
        .pluck()
        .get(fresh.license.id),
    ).toBe(keys.length + 1);
    expect(ids(await store.listLicensesOfInstallation(key.kid))).toEqual([fresh.license.id]);
    db.close();
  });

  it('follows a license to another installation, and one whose installation goes away', async () => {
    const dir = freshDir();
    const { store, issuer } = await issuerOn(dir);
    await issuer.init('alice');
    const [one, two] = [generateKeyPair(), generateKeyPair()];
    const first = await issuer.issue(freshChallenge({ key: one }), TERMS, 'a');
    await issuer.issue(freshChallenge({ key: two }), TERMS, 'a');
    const db = (store as unknown as { db: Database.Database }).db;

    // Bound to the other installation: found there, not where it was (the trigger renumbers).
    db.prepare('UPDATE licenses SET installation_id = ? WHERE id = ?').run(
      two.kid,
      first.license.id,
    );
    expect(ids(await store.listLicensesOfInstallation(one.kid))).toEqual([]);
    expect(ids(await store.listLicensesOfInstallation(two.kid))).toContain(first.license.id);
    expect(
      db
        .prepare('SELECT installation_seq FROM licenses WHERE id = ?')
        .pluck()
        .get(first.license.id),
    ).toBe(db.prepare('SELECT seq FROM installations WHERE id = ?').pluck().get(two.kid));

    // Bound to an installation with no row: found by its thumbprint; when the row appears, still.
    db.prepare('UPDATE licenses SET installation_id = ? WHERE id = ?').run(
      ORPHAN,
      first.license.id,
    );
    expect(ids(await store.listLicensesOfInstallation(ORPHAN))).toEqual([first.license.id]);
    expect(ids(await store.listLicensesOfInstallation(two.kid))).not.toContain(first.license.id);
    db.prepare(`INSERT INTO installations (id, last_seen_at, body) VALUES (?, 1, '{}')`).run(
      ORPHAN,
    );
    expect(ids(await store.listLicensesOfInstallation(ORPHAN))).toEqual([first.license.id]);

    // An installation deleted (Licensor never does): its licenses keep no number, and are found.
    const licensesOfTwo = ids(await store.listLicensesOfInstallation(two.kid));
    expect(licensesOfTwo).toHaveLength(1);
    db.prepare('DELETE FROM installations WHERE id = ?').run(two.kid);
    expect(ids(await store.listLicensesOfInstallation(two.kid))).toEqual(licensesOfTwo);
    expect(
      db
        .prepare('SELECT installation_seq FROM licenses WHERE id = ?')
        .pluck()
        .get(licensesOfTwo[0]),
    ).toBeNull();
  });
});
