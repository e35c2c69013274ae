// `pnpm --filter @licensor/e2e probe-checks` (#15.3): where the large store's check tail comes
// from, against the empty store, in interleaved rounds (not part of `pnpm bench`). Both verify
// services run at once, each on its store (check-rounds.mjs), warmed for a second; then
// PROBE_ROUNDS (default 6) rounds of PROBE_SECONDS (default 3) of checks at 10 connections on
// each, in the order empty, large, large, empty, ... so that a busier moment of the shared
// machine weighs on both alike. Each round prints one JSON line: the client's rate and p50/p99,
// the service's own latency and nonce-store wait (mean and p99 by bucket bound, /metrics), and
// what its threads read and wrote per check (/proc io).
// PROBE_STRACE=DIR also traces each service's fsync and fdatasync calls (strace, with their
// durations and files) into DIR/<store>.trace, and adds to each round the syncs of the database
// file (the checkpoints' last step) and of its log, with their longest duration.
// Environment as for the bench: BENCH_LARGE_DIR (or a store of BENCH_LICENSES seeded now).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { median } from '../../bench/kit.mjs';
import { alternatingCheckRounds } from './check-rounds.mjs';
import { prepareStores } from './stores.mjs';

const rounds = Number(process.env.PROBE_ROUNDS ?? 6);
const seconds = Number(process.env.PROBE_SECONDS ?? 3);
const straceDir = process.env.PROBE_STRACE;

/**
 * The fsync/fdatasync calls of a trace that ended within [from, to] (epoch seconds), by file:
 * the database file's (a checkpoint's last step) and the log's, with the thread that made them
 * (a call another thread interrupted is split by strace into "<unfinished ...>" and "resumed").
 */
function syncsIn(file, from, to) {
  const out = { db: [], wal: [] };
  const threads = { db: new Set(), wal: new Set() };
  const started = new Map();
  const count = (tid, at, path, ms) => {
    if (at < from || at > to) return;
    const kind = path.endsWith('licensor.db') ? 'db' : path.endsWith('-wal') ? 'wal' : null;
    if (kind === null) return;
    out[kind].push(ms);
    threads[kind].add(tid);
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const whole =
      /^(\d+)\s+(\d+\.\d+) f(?:data)?sync\(\d+<([^>]*)>\)\s*=\s*\S+\s*<(\d+\.\d+)>/.exec(line);
    if (whole) {
      count(whole[1], Number(whole[2]), whole[3], Number(whole[4]) * 1000);
      continue;
    }
    const begun = /^(\d+)\s+\d+\.\d+ f(?:data)?sync\(\d+<([^>]*)> <unfinished/.exec(line);
    if (begun) {
      started.set(begun[1], begun[2]);
      continue;
    }
    const resumed = /^(\d+)\s+(\d+\.\d+) <\.\.\. f(?:data)?sync resumed>.*<(\d+\.\d+)>/.exec(line);
    if (resumed && started.has(resumed[1])) {
      count(resumed[1], Number(resumed[2]), started.get(resumed[1]), Number(resumed[3]) * 1000);
      started.delete(resumed[1]);
    }
  }
  const sum = (kind) => ({
    count: out[kind].length,
    maxMs: out[kind].length ? Math.round(Math.max(...out[kind]) * 100) / 100 : null,
    medianMs: out[kind].length ? Math.round(median(out[kind]) * 100) / 100 : null,
    threads: threads[kind].size,
  });
  return { dbSyncs: sum('db'), walSyncs: sum('wal') };
}

const kinds = ['empty', 'large'];
const prepared = await prepareStores();
const tracers = [];
const windows = kinds.map(() => []);
try {
  await alternatingCheckRounds(prepared, {
    rounds,
    seconds,
    started: async (service, i) => {
      if (!straceDir) return;
      const trace = join(straceDir, `${kinds[i]}.trace`);
      const args = ['-f', '-ttt', '-T', '-y', '--seccomp-bpf', '-e', 'trace=fsync,fdatasync'];
      tracers.push(spawn('strace', [...args, '-o', trace, '-p', String(service.child.pid)]));
      await new Promise((ok) => setTimeout(ok, 500));
    },
    measured: (result, i, round) => {
      const to = Date.now() / 1000;
      const line = { round, store: kinds[i], at: new Date().toISOString(), load1m: loadavg()[0] };
      windows[i].push({ ...line, ...result, from: to - result.requests / result.rps, to });
      console.log(JSON.stringify({ ...line, ...result }));
    },
  });
} finally {
  for (const tracer of tracers) tracer.kill('SIGINT');
  for (const { remove } of prepared) remove();
}
const stores = Object.fromEntries(kinds.map((kind, i) => [kind, { rounds: windows[i] }]));
if (straceDir) {
  await new Promise((ok) => setTimeout(ok, 500));
  for (const [kind, { rounds: list }] of Object.entries(stores)) {
    for (const line of list) {
      console.log(
        JSON.stringify({
          round: line.round,
          store: kind,
          ...syncsIn(join(straceDir, `${kind}.trace`), line.from, line.to),
        }),
      );
    }
  }
}
const summary = {};
for (const [kind, { rounds: list }] of Object.entries(stores)) {
  const of = (key) => list.map((r) => r[key]);
  summary[kind] = {
    rps: median(of('rps')),
    p99Ms: median(of('p99Ms')),
    p99MsRounds: of('p99Ms'),
    serverMeanMs: median(of('serverMeanMs')),
    nonceStoreMeanMs: median(of('nonceStoreMeanMs')),
  };
}
summary.p99LargeOverEmptyByRound = stores.large.rounds.map((r, i) =>
  Number((r.p99Ms / stores.empty.rounds[i].p99Ms).toFixed(2)),
);
console.log(JSON.stringify(summary));
