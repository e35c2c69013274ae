import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openCheckStore } from '../checks.js';
import { InputInvalidError, SettingInvalidError } from '../errors.js';
import {
  cacheMiBFromEnv,
  checkpointThreadFromEnv,
  checkStoreSettings,
  issueThreadFromEnv,
  MAX_CACHE_MIB,
  openStore,
  SQLITE_FILE,
} from './open-store.js';
import type { LicensorStore } from './ports.js';
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite/migrations.js';

const dirs: string[] = [];
const stores: LicensorStore[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-open-store-'));
  dirs.push(dir);
  return dir;
}

async function opened(options: Parameters<typeof openStore>[0]): Promise<LicensorStore> {
  const store = await openStore(options);
  stores.push(store);
  return store;
}

/** Each spelling other than on/off refused with ERR_INPUT_INVALID naming it, no store made. */
async function expectEveryOtherValueRefused(variable: string): Promise<void> {
  for (const value of ['0', 'false', 'OFF', 'yes', ' off']) {
    vi.stubEnv(variable, value);
    const dir = freshDir();
    const refused = await openStore({ dataDir: dir }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(InputInvalidError);
    expect(refused).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect((refused as Error).message).toContain(variable);
    expect((refused as Error).message).toContain('set it to on (the default) or off');
    expect(existsSync(join(dir, SQLITE_FILE))).toBe(false);
  }
}

/** Whether the SQLite store commits issues on its writer thread (null: on the event loop). */
function hasIssueThread(store: LicensorStore): boolean {
  return (store as unknown as { issues: unknown }).issues !== null;
}

describe('LICENSOR_SQLITE_ISSUE_THREAD', () => {
  it('commits on a thread of their own when unset or on, on the event loop when off', async () => {
    expect(hasIssueThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'on');
    expect(hasIssueThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'off');
    expect(hasIssueThread(await opened({ dataDir: freshDir() }))).toBe(false);
  });

  it('gives way to the option the caller passes', async () => {
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'off');
    expect(hasIssueThread(await opened({ dataDir: freshDir(), sqliteIssueThread: true }))).toBe(
      true,
    );
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'on');
    expect(hasIssueThread(await opened({ dataDir: freshDir(), sqliteIssueThread: false }))).toBe(
      false,
    );
  });

  it('refuses any other value with ERR_INPUT_INVALID naming the variable, and makes no store', async () => {
    await expectEveryOtherValueRefused('LICENSOR_SQLITE_ISSUE_THREAD');
    expect(issueThreadFromEnv('off')).toBe(false);
    expect(issueThreadFromEnv('')).toBe(true);
  });
});

/** Whether the SQLite store checkpoints its log on a thread of its own (checkpointer.ts). */
function hasCheckpointThread(store: LicensorStore): boolean {
  return (store as unknown as { checkpointer: unknown }).checkpointer !== null;
}

describe('LICENSOR_SQLITE_CHECKPOINT_THREAD', () => {
  it('checkpoints on a thread of its own when unset or on, in the COMMIT when off; the option wins', async () => {
    expect(hasCheckpointThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', 'on');
    expect(hasCheckpointThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', 'off');
    expect(hasCheckpointThread(await opened({ dataDir: freshDir() }))).toBe(false);
    const asked = await opened({ dataDir: freshDir(), sqliteCheckpointThread: true });
    expect(hasCheckpointThread(asked)).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', 'on');
    const off = await opened({ dataDir: freshDir(), sqliteCheckpointThread: false });
    expect(hasCheckpointThread(off)).toBe(false);
  });

  it('refuses any other value with ERR_INPUT_INVALID naming the variable, and makes no store', async () => {
    await expectEveryOtherValueRefused('LICENSOR_SQLITE_CHECKPOINT_THREAD');
    expect(checkpointThreadFromEnv('off')).toBe(false);
    expect(checkpointThreadFromEnv('')).toBe(true);
  });
});

describe('opening a folder that holds no store, or a file that is not one', () => {
  it('makes no folder and no file without the right to create (ERR_STORE_NOT_FOUND naming the folder)', async () => {
    const missing = join(freshDir(), 'typo', 'path');
    for (const options of [{ create: false }, { create: false, prepare: false }]) {
      await expect(openStore({ dataDir: missing, ...options })).rejects.toMatchObject({
        code: 'ERR_STORE_NOT_FOUND',
        message: expect.stringContaining(`no Licensor store in ${missing}`),
      });
    }
    // The verify service's store (checks.ts) is opened so.
    await expect(openCheckStore({ dataDir: missing, env: {} })).rejects.toMatchObject({
      code: 'ERR_STORE_NOT_FOUND',
    });
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(missing, '..'))).toBe(false);
    // An empty folder: no file is made in it either.
    const empty = freshDir();
    await expect(openStore({ dataDir: empty, create: false })).rejects.toMatchObject({
      code: 'ERR_STORE_NOT_FOUND',
    });
    expect(existsSync(join(empty, SQLITE_FILE))).toBe(false);
    // With the right (init), it is made; then it opens without it.
    await (await openStore({ dataDir: empty })).close();
    await (await opened({ dataDir: empty, create: false })).ping();
  });

  it('refuses a SQLite file of another program and leaves it byte for byte, with or without the right to create', async () => {
    const dir = freshDir();
    const file = join(dir, SQLITE_FILE);
    const foreign = new Database(file);
    foreign.exec('CREATE TABLE invoices (x); INSERT INTO invoices VALUES (1);');
    foreign.close();
    const before = readFileSync(file);
    for (const options of [{}, { create: false }, { create: false, prepare: false }]) {
      await expect(openStore({ dataDir: dir, ...options })).rejects.toMatchObject({
        code: 'ERR_STORE_CORRUPT',
        message: expect.stringContaining(
          'holds tables of another program (invoices) and no Licensor schema; it was left unchanged',
        ),
      });
    }
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual([SQLITE_FILE]);
  });

  it('opens and migrates a Licensor store of an older schema version without the right to create', async () => {
    const dir = freshDir();
    const old = new Database(join(dir, SQLITE_FILE));
    old.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    old.exec(MIGRATIONS[0]!.sql);
    old.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
    old.close();
    await opened({ dataDir: dir, create: false });
    const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
    const version = db.prepare('SELECT max(version) FROM schema_migrations').pluck().get();
    db.close();
    expect(version).toBe(SCHEMA_VERSION);
  });
});

describe('LICENSOR_SQLITE_CACHE_MIB', () => {
  it('takes a whole number of MiB; refuses anything else naming the variable and what it takes, and makes no store', async () => {
    expect(cacheMiBFromEnv(undefined)).toBeUndefined();
    expect(cacheMiBFromEnv('')).toBeUndefined();
    expect(cacheMiBFromEnv('256')).toBe(256);
    for (const value of ['abc', '0', '-5', '1.5', '1e3', ' 64', '99999999999999999999']) {
      vi.stubEnv('LICENSOR_SQLITE_CACHE_MIB', value);
      const dir = freshDir();
      const refused = await openStore({ dataDir: dir }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(SettingInvalidError);
      expect(refused).toMatchObject({
        code: 'ERR_INPUT_INVALID',
        setting: true,
        variable: 'LICENSOR_SQLITE_CACHE_MIB',
        message: `LICENSOR_SQLITE_CACHE_MIB is ${JSON.stringify(value)}: set it to a whole number of MiB from 1 to ${MAX_CACHE_MIB} (default: sized from the store), or unset it`,
      });
      expect(existsSync(join(dir, SQLITE_FILE))).toBe(false);
    }
  });

  it('checkStoreSettings checks all three before anything is opened, naming the first wrong one', () => {
    expect(() => checkStoreSettings({})).not.toThrow();
    expect(() =>
      checkStoreSettings({ LICENSOR_SQLITE_ISSUE_THREAD: 'off', LICENSOR_SQLITE_CACHE_MIB: '64' }),
    ).not.toThrow();
    expect(() => checkStoreSettings({ LICENSOR_SQLITE_CHECKPOINT_THREAD: 'maybe' })).toThrow(
      expect.objectContaining({ setting: true, variable: 'LICENSOR_SQLITE_CHECKPOINT_THREAD' }),
    );
    expect(() => checkStoreSettings({ LICENSOR_SQLITE_CACHE_MIB: 'lots' })).toThrow(
      expect.objectContaining({ setting: true, variable: 'LICENSOR_SQLITE_CACHE_MIB' }),
    );
  });

  it('the on/off switches refuse with the same typed setting error', async () => {
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'maybe');
    await expect(openStore({ dataDir: freshDir() })).rejects.toMatchObject({
      setting: true,
      variable: 'LICENSOR_SQLITE_ISSUE_THREAD',
      accepted: 'on (the default) or off',
    });
  });
});
