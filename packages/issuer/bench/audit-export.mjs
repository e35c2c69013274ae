// `pnpm --filter @licensor/issuer bench:audit-export` (issue #15): the memory and time of the
// signed audit log export (`issuer.audit.export()`) over a store of many audit entries.
//
// The store is seeded once through its bulk path (seedStore: importTransactions writes each
// transaction with its audit entry, as the issuer does), in AUDIT_BENCH_DIR when set (kept and
// reused by the next run, the seeding takes most of a run) or in a temporary folder. Each export
// then runs in a child process of its own, so that its peak RSS (getrusage maxRSS) is the
// export's alone: the child opens the store and the issuer, takes its resident size, exports to
// a file as the CLI's `audit export --out` does, and reports the peak resident size above that
// starting point, the heap it held at the end (before a GC could drop the export) and the time.
//
//   AUDIT_BENCH_LICENSES  licenses to seed (default 100000: about 200,000 audit entries)
//   AUDIT_BENCH_DIR       where the seeded store is kept between runs
//
// Writes bench/audit-export.json (not part of `pnpm bench`: the seeding alone takes minutes).

import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { openIssuer, openStore } from '../dist/index.js';
import { seedStore } from '../dist/seed.js';

const here = dirname(fileURLToPath(import.meta.url));
const LICENSES = Number(process.env.AUDIT_BENCH_LICENSES ?? 100_000);
const MB = 1024 * 1024;
const round = (value, digits = 1) => Number(value.toFixed(digits));

/** The child: one export of the store in `dataDir` to `file`; prints its figures as JSON. */
async function exportOnce(dataDir, file) {
  const store = await openStore({ dataDir });
  const issuer = await openIssuer({ store, passphrase: '' });
  globalThis.gc?.();
  const rssBefore = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const exported = await issuer.audit.export();
  let lines;
  let heapEnd;
  if (Array.isArray(exported)) {
    // Before the streaming export: every line in memory, joined into one string.
    writeFileSync(file, exported.join(''));
    heapEnd = process.memoryUsage().heapUsed;
    lines = exported.length;
  } else {
    const { exportChunks } = await import('../dist/index.js');
    await pipeline(Readable.from(exportChunks(exported)), createWriteStream(file));
    heapEnd = process.memoryUsage().heapUsed;
    lines = exported.lines;
  }
  const seconds = (performance.now() - started) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  await store.close();
  process.stdout.write(
    JSON.stringify({
      lines,
      bytes: statSync(file).size,
      seconds: round(seconds, 2),
      rssBeforeMb: round(rssBefore / MB),
      peakRssMb: round(peakRss / MB),
      peakRssAboveStartMb: round((peakRss - rssBefore) / MB),
      heapHeldAtEndMb: round((heapEnd - heapBefore) / MB),
      streaming: !Array.isArray(exported),
    }),
  );
}

async function main() {
  const kept = process.env.AUDIT_BENCH_DIR;
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'licensor-audit-bench-'));
  try {
    if (!existsSync(join(dataDir, 'licensor.db'))) {
      const store = await openStore({ dataDir });
      const started = performance.now();
      const report = await seedStore(store, { licenses: LICENSES, days: 0, seed: 'audit-bench' });
      await store.close();
      console.log(
        `seeded ${report.licenses} licenses, ${report.transactions} transactions in ${round((performance.now() - started) / 1000)} s`,
      );
    }
    const file = join(dataDir, 'export.jsonl');
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--export', dataDir, file],
      { encoding: 'utf8', maxBuffer: 16 * MB },
    );
    if (child.status !== 0) throw new Error(`the export failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout);
    rmSync(file, { force: true });
    const results = { generatedAt: new Date().toISOString(), node: process.version, ...result };
    writeFileSync(join(here, 'audit-export.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(results);
  } finally {
    if (kept === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--export') await exportOnce(process.argv[3], process.argv[4]);
else await main();
