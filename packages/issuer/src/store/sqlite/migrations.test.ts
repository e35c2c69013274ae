import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../open-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

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
