// The page cache of a large SQLite store (#15.3). Every issue looks up, then inserts, keys that
// are hashes by nature, so each lands on a random page of its index: the challenge's hash
// (transactions.dedupe_key) and the installation's key thumbprint (installations.id). Every
// other index an issue writes grows at its end (time-ordered ids, times, and since migration 20
// the licenses' index by installation number: installation-seq.ts). On the bench's store of a
// million licenses (1.42 million transactions, 1.15 million installations) these two indexes
// are 146 MiB (dbstat: 82 and 64 MiB), about 130 bytes a license;
// held in neither the 64 MiB page cache nor, once 50 million check records have streamed
// through it, the OS page cache, each issue waited for random reads from the disk (with the
// third hash-keyed index of then, its CPU 1.5x the empty store's, its rate 0.39 of it).
//
// So a store opened for issuing (`prepare`, not the verify service) sizes its page cache from
// the store, 64 MiB plus those indexes estimated from the largest rowid of their tables (read
// from the end of each table, not counted), and reads the indexes once on open, from end to
// end (a covering index range, sequential pages), so the first issues find them in memory.
// SQLite allocates cache pages as they are used: a small store costs what it did.

import type Database from 'better-sqlite3';

export const DEFAULT_CACHE_MIB = 64;
/** The most the page cache is sized to on its own; beyond, set LICENSOR_SQLITE_CACHE_MIB. */
export const MAX_SIZED_CACHE_MIB = 2048;

const MiB = 1024 * 1024;

/** Each index an issue reads at a random page, with its bytes per row, measured (dbstat). */
export const HASH_KEYED_INDEXES = [
  { table: 'transactions', column: 'dedupe_key', bytesPerRow: 61 },
  { table: 'installations', column: 'id', bytesPerRow: 59 },
] as const;

/** The statement that reads one of them whole, from its index alone (never the table). */
export function warmSql(index: (typeof HASH_KEYED_INDEXES)[number]): string {
  return `SELECT count(${index.column}) AS n FROM ${index.table} WHERE ${index.column} >= ''`;
}

/** The indexes' size, estimated from the largest rowid of their tables. */
export function hashIndexBytes(db: Database.Database): number {
  let bytes = 0;
  for (const index of HASH_KEYED_INDEXES) {
    const row = db.prepare(`SELECT max(rowid) AS n FROM ${index.table}`).get() as {
      n: number | null;
    };
    bytes += (row.n ?? 0) * index.bytesPerRow;
  }
  return bytes;
}

/** The page cache a store opened for issuing gets: 64 MiB plus its hash-keyed indexes, +25%. */
export function sizedCacheMiB(db: Database.Database): number {
  const extra = Math.ceil((hashIndexBytes(db) * 1.25) / MiB);
  return Math.min(DEFAULT_CACHE_MIB + extra, MAX_SIZED_CACHE_MIB);
}

/** Reads the hash-keyed indexes once, so their pages are in memory; returns the keys read. */
export function warmHashIndexes(db: Database.Database): number {
  let keys = 0;
  for (const index of HASH_KEYED_INDEXES) {
    keys += (db.prepare(warmSql(index)).get() as { n: number }).n;
  }
  return keys;
}
