// The two stores the large-store bench and its probes compare (#15.3): an empty one (the 200
// licenses the checks are signed for, seeded now in a temporary folder) and a large one, the
// folder BENCH_LARGE_DIR names (`pnpm seed-data --data DIR` filled it and wrote its
// seed-report.json), else one seeded now with BENCH_LICENSES (default 20,000) licenses and
// BENCH_DAYS (default 1) days of hourly checks.
//
// Before a store is measured, the nonces in its window that expired already are removed, as its
// check writer would remove them (NONCE_PURGE_BATCH at a time, oldest first) over its first
// checks: a large store kept between runs carries the nonces of every run before it, and an hour
// after a busy run each of its first purges deletes 64 or more nonces (twice what arrived) in one
// commit (until migration 21 keyed the window iat first, each on a page of the key index of its
// own: check-pages.mjs, PAGES_EXPIRED_NONCES), a cost of the nonce window's history that the
// empty store, made anew each run, never pays. Nonces still held are kept (they
// refuse replays), and the store holding fewer is given as many more, of its own sample's
// installations and expiring when the other's do (prepareStores): a run within ten minutes of the
// one before starts the large store with that run's window, tens of thousands of nonces, over
// which each new one lands on a page of its own, while the empty store's window starts empty.
// BENCH_NONCE_WINDOW=as-is leaves both windows as they are (as the bench did before 1 Dec 03:00).

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installationKeyOf, SAMPLE_SIZE, seedStore } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';
import { newNonce } from '@licensor/token';

const Database = createRequire(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/issuer/package.json'),
)('better-sqlite3');
const asIs = process.env.BENCH_NONCE_WINDOW === 'as-is';
/** Expired nonces removed per transaction (a short write each, as the writer's purges are). */
const DRAIN_BATCH = 10_000;
/** How long the verify service holds the nonce of a check inside its clock window (2 x 300 s). */
const HELD_SECONDS = 600;
/** The check writer's purge (packages/issuer nonce-writer.ts), nonces keyed iat first. */
const NONCE_PURGE_SQL =
  'DELETE FROM check_nonces WHERE (iat, installation_id, nonce) IN ' +
  '(SELECT iat, installation_id, nonce FROM check_nonces WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)';

function log(message) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** Bytes of the SQLite file and its log. */
export function sqliteBytes(dir) {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    const file = join(dir, `licensor.db${suffix}`);
    if (existsSync(file)) total += statSync(file).size;
  }
  return total;
}

/** The seed report of a store seeded with `seed`, rebuilt from the store itself. */
async function sampleOf(dir, seed) {
  if (!seed)
    throw new Error(`${dir} has no seed-report.json: set BENCH_SEED to the seed it was made with`);
  const store = await openStore({ dataDir: dir });
  try {
    const sample = [];
    for (let index = 0; index < SAMPLE_SIZE; index += 1) {
      const [license] = await store.listLicensesOfInstallation(installationKeyOf(seed, index).kid);
      if (license?.state === 'active')
        sample.push({ licenseId: license.id, index, model: license.model, state: license.state });
    }
    const licenses = Number(process.env.BENCH_LICENSE_COUNT) || null;
    return { seed, licenses, checks: null, sample };
  } finally {
    await store.close();
  }
}

/**
 * The log copied into the file and emptied before a service starts: the pages of the nonces
 * removed or added here are not the measured checks' checkpoint to copy (on the 1M store, tens
 * of thousands of nonces removed are thousands of pages across a 20 GB file).
 */
function copyLogIn(db) {
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)');
  if (result.busy !== 0) throw new Error('the store is in use: the bench needs it to itself');
}

/**
 * The store's nonce window before a run: the nonces that expired removed (as the check writer's
 * purges would), the ones still held counted: { held, expiredRemoved }.
 */
export function settleNonceWindow(dir, now = Date.now()) {
  const db = new Database(join(dir, 'licensor.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (asIs) {
      const count = (sql) => db.prepare(sql).pluck().get(now);
      return {
        held: count('SELECT count(*) FROM check_nonces WHERE expires_at > ?'),
        expiredRemoved: 0,
        expiredKept: count('SELECT count(*) FROM check_nonces WHERE expires_at <= ?'),
      };
    }
    const drain = db.prepare(NONCE_PURGE_SQL);
    let expiredRemoved = 0;
    for (;;) {
      const { changes } = drain.run(now, DRAIN_BATCH);
      expiredRemoved += changes;
      if (changes < DRAIN_BATCH) break;
    }
    const { held } = db.prepare('SELECT count(*) AS held FROM check_nonces').get();
    copyLogIn(db);
    return { held, expiredRemoved };
  } finally {
    db.close();
  }
}

/**
 * A store folder with its seed report, made now or the one BENCH_LARGE_DIR points at, its nonce
 * window settled (settleNonceWindow): { dir, report, nonceWindow, remove() } (remove deletes a
 * store made now, and leaves BENCH_LARGE_DIR).
 */
export async function prepareStore(kind) {
  if (kind === 'large' && process.env.BENCH_LARGE_DIR) {
    const dir = resolve(process.env.BENCH_LARGE_DIR);
    const file = join(dir, 'seed-report.json');
    const report = existsSync(file)
      ? JSON.parse(readFileSync(file, 'utf8'))
      : // A seeding stopped early wrote no report: its sample is found again from BENCH_SEED.
        await sampleOf(dir, process.env.BENCH_SEED);
    // Opened once as the service opens it, so that its schema is the newest (migration 21 keyed
    // the nonce window anew) before its window is settled with raw SQL.
    await (await openStore({ dataDir: dir })).close();
    const nonceWindow = settleNonceWindow(dir);
    log(
      `${kind} store: ${nonceWindow.expiredRemoved} expired nonces removed, ${nonceWindow.held} held`,
    );
    return { dir, report, nonceWindow, remove: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), `licensor-bench-${kind}-`));
  const store = await openStore({ dataDir: dir, sqliteCacheMiB: 1024 });
  const licenses = kind === 'large' ? Number(process.env.BENCH_LICENSES ?? 20_000) : SAMPLE_SIZE;
  const days = kind === 'large' ? Number(process.env.BENCH_DAYS ?? 1) : 0;
  log(`seeding the ${kind} store: ${licenses} licenses, ${days} days of checks...`);
  const report = await seedStore(store, { licenses, days });
  await store.close();
  return {
    dir,
    report,
    nonceWindow: settleNonceWindow(dir),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Nonces of `store`'s sample installations, one for each expiry in `expiries`, written. */
function addHeldNonces({ dir, report }, expiries) {
  const installations = report.sample
    .slice(0, 100)
    .map(({ index }) => installationKeyOf(report.seed, index).kid);
  const db = new Database(join(dir, 'licensor.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare(
      'INSERT OR IGNORE INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const [i, expiresAt] of expiries.entries()) {
        // Keyed as its check would be: that check's iat, its admission time, held twice the
        // service's 300 s window.
        const iat = Math.floor(expiresAt / 1000) - HELD_SECONDS;
        insert.run(iat, installations[i % installations.length], newNonce(), expiresAt);
      }
    })();
    copyLogIn(db);
  } finally {
    db.close();
  }
}

function heldExpiries(dir) {
  const db = new Database(join(dir, 'licensor.db'), { fileMustExist: true, readonly: true });
  try {
    return db.prepare('SELECT expires_at FROM check_nonces ORDER BY expires_at').pluck().all();
  } finally {
    db.close();
  }
}

/**
 * The empty store and the large one (prepareStore), with nonce windows of one size: the store
 * holding fewer nonces is given the difference, expiring as the other's latest do.
 * `nonceWindow.added` says how many each was given.
 */
export async function prepareStores() {
  const stores = [await prepareStore('empty'), await prepareStore('large')];
  const [fewer, more] = [...stores].sort((a, b) => a.nonceWindow.held - b.nonceWindow.held);
  for (const store of stores) store.nonceWindow.added = 0;
  if (asIs) return stores;
  const missing = more.nonceWindow.held - fewer.nonceWindow.held;
  if (missing > 0) {
    addHeldNonces(fewer, heldExpiries(more.dir).slice(-missing));
    fewer.nonceWindow.added = missing;
    log(`${missing} held nonces given to the store that held fewer`);
  }
  return stores;
}
