// The two stores the large-store bench and its probes compare (#15.3): an empty one (the 200
// licenses the checks are signed for, seeded now in a temporary folder) and a large one, the
// folder BENCH_LARGE_DIR names (`pnpm seed-data --data DIR` filled it and wrote its
// seed-report.json), else one seeded now with BENCH_LICENSES (default 20,000) licenses and
// BENCH_DAYS (default 1) days of hourly checks.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installationKeyOf, SAMPLE_SIZE, seedStore } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';

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
 * A store folder with its seed report, made now or the one BENCH_LARGE_DIR points at:
 * { dir, report, remove() } (remove deletes a store made now, and leaves BENCH_LARGE_DIR).
 */
export async function prepareStore(kind) {
  if (kind === 'large' && process.env.BENCH_LARGE_DIR) {
    const dir = resolve(process.env.BENCH_LARGE_DIR);
    const file = join(dir, 'seed-report.json');
    const report = existsSync(file)
      ? JSON.parse(readFileSync(file, 'utf8'))
      : // A seeding stopped early wrote no report: its sample is found again from BENCH_SEED.
        await sampleOf(dir, process.env.BENCH_SEED);
    return { dir, report, remove: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), `licensor-bench-${kind}-`));
  const store = await openStore({ dataDir: dir, sqliteCacheMiB: 1024 });
  const licenses = kind === 'large' ? Number(process.env.BENCH_LICENSES ?? 20_000) : SAMPLE_SIZE;
  const days = kind === 'large' ? Number(process.env.BENCH_DAYS ?? 1) : 0;
  log(`seeding the ${kind} store: ${licenses} licenses, ${days} days of checks...`);
  const report = await seedStore(store, { licenses, days });
  await store.close();
  return { dir, report, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
