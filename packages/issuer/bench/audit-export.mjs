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
// The auditor's side of the same file: scripts/verify-audit-export.mjs runs on it in a child of
// its own (nothing of Licensor loaded, as an auditor runs it), once alone and once with
// `--previous` naming the same file (an earlier export as long as this one: the most it can
// cost). Each reports the process's peak RSS (the whole of it, as the auditor's machine sees it),
// the peak above the child's start (Node alone) and the time.
//
//   AUDIT_BENCH_LICENSES  licenses to seed (default 100000: about 200,000 audit entries)
//   AUDIT_BENCH_DIR       where the seeded store is kept between runs
//   AUDIT_BENCH_VERIFIER  another verifier script to measure (default scripts/verify-audit-export.mjs;
//                         e.g. the one of an earlier commit, `git show REV:packages/issuer/…`)
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
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const VERIFIER = resolve(
  process.env.AUDIT_BENCH_VERIFIER ?? join(here, '../scripts/verify-audit-export.mjs'),
);
const LICENSES = Number(process.env.AUDIT_BENCH_LICENSES ?? 100_000);
const MB = 1024 * 1024;
const round = (value, digits = 1) => Number(value.toFixed(digits));

/**
 * The child: one export of the store in `dataDir` to `file` (and the vendor's JWKS next to it,
 * after the measure); prints its figures as JSON.
 */
async function exportOnce(dataDir, file) {
  // Loaded here, not at the top: the verifier's child runs this file too, without Licensor.
  const { openIssuer, openStore } = await import('../dist/index.js');
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
  writeFileSync(`${file}.jwks.json`, JSON.stringify(await issuer.keys.exportJwks()));
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

/**
 * The child: the verifier on `file`, as `node verify-audit-export.mjs ARGS…` would run it (it
 * reads process.argv when imported); prints what it printed, then its figures as JSON.
 */
async function verifyOnce(args) {
  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  process.argv = [process.argv[0], VERIFIER, ...args];
  await import(pathToFileURL(VERIFIER).href);
  const seconds = (performance.now() - started) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `\n${JSON.stringify({
      exitCode: process.exitCode ?? 0,
      seconds: round(seconds, 2),
      peakRssMb: round(peakRss / MB),
      peakRssAboveStartMb: round((peakRss - rssBefore) / MB),
    })}\n`,
  );
}

/** The verifier's figures on `file` (with `extra` arguments), from a child of its own. */
function measureVerifier(file, extra = []) {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--verify', file, `${file}.jwks.json`, ...extra],
    { encoding: 'utf8', maxBuffer: 16 * MB },
  );
  const lines = child.stdout.trim().split('\n');
  const figures = child.status === 0 ? JSON.parse(lines.at(-1)) : null;
  if (figures?.exitCode !== 0 || !lines[0].startsWith('OK: ')) {
    throw new Error(`the verifier refused the export: ${child.stdout}${child.stderr}`);
  }
  const { exitCode: _, ...rest } = figures;
  return rest;
}

async function main() {
  const { openStore } = await import('../dist/index.js');
  const { seedStore } = await import('../dist/seed.js');
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
    const verifier = {
      script: VERIFIER.replace(`${resolve(here, '..')}/`, ''),
      alone: measureVerifier(file),
      withPrevious: measureVerifier(file, ['--previous', file]),
    };
    rmSync(file, { force: true });
    rmSync(`${file}.jwks.json`, { force: true });
    const results = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      ...result,
      verifier,
    };
    writeFileSync(join(here, 'audit-export.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(results);
  } finally {
    if (kept === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--export') await exportOnce(process.argv[3], process.argv[4]);
else if (process.argv[2] === '--verify') await verifyOnce(process.argv.slice(3));
else await main();
