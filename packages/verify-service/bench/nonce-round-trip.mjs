// `pnpm --filter @licensor/verify-service nonce-round-trip`: the SQLite check writer alone, as the
// service drives it (#15.5): ROUND_TRIP_CALLERS callers (10, like 10 connections) each spend
// ROUND_TRIP_WORK_US of CPU on the event loop (250: about the main thread's work per check), then
// admit a fresh nonce and wait for its answer, for ROUND_TRIP_SECONDS (5). No HTTP, no load
// generator: what it shows is the writer's round trip (commit, sync, answer, and the thread
// wake-ups between them) and what it costs each thread. Prints one JSON line: admissions a
// second, the round trip's median / p90 / p99 in ms, the main thread's busy share, the CPU per
// admission of the main thread and of the others (the writer's thread, libuv's pool) in µs, and
// how many syncs of the log took the writer's idle path and how many the pipelined one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@licensor/issuer/store';
import { threadCpu } from './thread-cpu.mjs';

const callers = Number(process.env.ROUND_TRIP_CALLERS ?? 10);
const workUs = Number(process.env.ROUND_TRIP_WORK_US ?? 250);
const seconds = Number(process.env.ROUND_TRIP_SECONDS ?? 5);

const dataDir = mkdtempSync(join(tmpdir(), 'licensor-round-trip-'));
// Which path each sync took (sync-pipeline.ts: idle, pipelined), counted by the thread.
const syncCounts = new Int32Array(new SharedArrayBuffer(8));
const store = await openStore({ dataDir, checkWriterFaults: { syncCounts } });

function work() {
  const until = performance.now() + workUs / 1000;
  while (performance.now() < until) {}
}

async function caller(until, times) {
  while (performance.now() < until) {
    work();
    const now = Date.now();
    const t0 = performance.now();
    const admitted = await store.chains.admitNonce(
      'inst',
      randomBytes(12).toString('base64url'),
      Math.floor(now / 1000),
      now + 600_000,
      now,
    );
    if (!admitted) throw new Error('a fresh nonce was refused');
    times?.push(performance.now() - t0);
  }
}

// Warm-up: the thread started, the log and the directory synced once.
await Promise.all(Array.from({ length: callers }, () => caller(performance.now() + 1000, null)));

const times = [];
const syncs0 = [...syncCounts];
const load = loadavg()[0];
const cpu0 = threadCpu();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: callers }, () => caller(performance.now() + seconds * 1000, times)),
);
const wall = (performance.now() - t0) / 1000;
const cpu1 = threadCpu();
await store.close();
rmSync(dataDir, { recursive: true, force: true });

times.sort((a, b) => a - b);
const at = (q) =>
  Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 1000) / 1000;
const per = (k) => (cpu0 && cpu1 ? Math.round(((cpu1[k] - cpu0[k]) * 1e6) / times.length) : null);
console.log(
  JSON.stringify({
    callers,
    workUs,
    seconds,
    load,
    perSecond: Math.round(times.length / wall),
    roundTripMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99) },
    mainBusy: cpu0 && cpu1 ? Math.round(((cpu1.main - cpu0.main) / wall) * 100) / 100 : null,
    mainCpuUsPerAdmission: per('main'),
    otherThreadsCpuUsPerAdmission: per('others'),
    syncs: { idle: syncCounts[0] - syncs0[0], pipelined: syncCounts[1] - syncs0[1] },
  }),
);
