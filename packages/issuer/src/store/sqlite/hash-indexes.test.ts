// A store opened for issuing sizes its page cache from the indexes an issue reads at random and
// reads them once; one opened for checks (prepare: false) keeps the 64 MiB default; a cache
// given by the operator is kept.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../open-store.js';
import type { LicensorStore } from '../ports.js';
import {
  DEFAULT_CACHE_MIB,
  HASH_KEYED_INDEXES,
  MAX_SIZED_CACHE_MIB,
  sizedCacheMiB,
  warmHashIndexes,
} from './hash-indexes.js';

// The store's own call is observed: warmHashIndexes, as SqliteStore.open imports it, is a spy
// that runs the real function.
vi.mock('./hash-indexes.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./hash-indexes.js')>();
  return { ...actual, warmHashIndexes: vi.fn(actual.warmHashIndexes) };
});
const warmed = vi.mocked(warmHashIndexes);

const dirs: string[] = [];
const stores: LicensorStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbOf(store: LicensorStore): Database.Database {
  return (store as unknown as { db: Database.Database }).db;
}

async function opened(dir: string, options: { prepare?: boolean; sqliteCacheMiB?: number } = {}) {
  const store = await openStore({ dataDir: dir, ...options });
  stores.push(store);
  return store;
}

/** A store whose installations table ends at rowid `rowid` (one row: its max rowid is read). */
async function storeEndingAt(rowid: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-hash-indexes-'));
  dirs.push(dir);
  const store = await opened(dir, { prepare: false });
  dbOf(store)
    .prepare('INSERT INTO installations (rowid, id, last_seen_at, body) VALUES (?, ?, 0, ?)')
    .run(rowid, 'thumbprint-of-an-installation-key', '{}');
  await store.close();
  stores.splice(stores.indexOf(store), 1);
  return dir;
}

const cacheMiBOf = (store: LicensorStore) =>
  -(dbOf(store).pragma('cache_size', { simple: true }) as number) / 1024;

const installationBytes = HASH_KEYED_INDEXES.find((i) => i.table === 'installations')!.bytesPerRow;

describe('the page cache of a store opened for issuing', () => {
  it('is 64 MiB on an empty store, and 64 MiB plus its hash-keyed indexes (+25%) on a large one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'licensor-hash-indexes-'));
    dirs.push(empty);
    expect(cacheMiBOf(await opened(empty))).toBe(DEFAULT_CACHE_MIB);

    const large = await storeEndingAt(1_000_000);
    const store = await opened(large);
    const expected =
      DEFAULT_CACHE_MIB + Math.ceil((1_000_000 * installationBytes * 1.25) / 2 ** 20);
    expect(expected).toBeGreaterThan(DEFAULT_CACHE_MIB);
    expect(cacheMiBOf(store)).toBe(expected);
    expect(sizedCacheMiB(dbOf(store))).toBe(expected);
  });

  it('is bounded, and left at 64 MiB for the verify service (prepare: false)', async () => {
    const huge = await storeEndingAt(1_000_000_000);
    expect(cacheMiBOf(await opened(huge))).toBe(MAX_SIZED_CACHE_MIB);
    await stores.pop()!.close();
    expect(cacheMiBOf(await opened(huge, { prepare: false }))).toBe(DEFAULT_CACHE_MIB);
  });

  it('keeps the cache the operator gives (sqliteCacheMiB / LICENSOR_SQLITE_CACHE_MIB)', async () => {
    const large = await storeEndingAt(1_000_000);
    expect(cacheMiBOf(await opened(large, { sqliteCacheMiB: 96 }))).toBe(96);
    await stores.pop()!.close();
    vi.stubEnv('LICENSOR_SQLITE_CACHE_MIB', '80');
    try {
      expect(cacheMiBOf(await opened(large))).toBe(80);
      await stores.pop()!.close();
      // The option wins over the environment.
      expect(cacheMiBOf(await opened(large, { sqliteCacheMiB: 96 }))).toBe(96);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('reads every key of the hash-keyed indexes on open, and the verify service (prepare: false) does not', async () => {
    const large = await storeEndingAt(5);
    warmed.mockClear();
    const store = await opened(large);
    // Opening for issuing read them, once, on this store's connection: the one installation;
    // no transaction or license yet.
    expect(warmed).toHaveBeenCalledTimes(1);
    expect(warmed.mock.calls[0]![0]).toBe(dbOf(store));
    expect(warmed.mock.results[0]).toEqual({ type: 'return', value: 1 });
    await stores.pop()!.close();
    warmed.mockClear();
    await opened(large, { prepare: false });
    expect(warmed).not.toHaveBeenCalled();
  });
});
