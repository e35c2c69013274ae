// `pnpm --filter @licensor/verify-service probe`: one server under one load, to find where the
// time goes (not part of `pnpm bench`). PROBE_TARGET=service|bare, PROBE_RATE (a paced load of
// that many checks a second; unset: saturated, autocannon), PROBE_CONNECTIONS (100),
// PROBE_SECONDS (8), BENCH_WORKERS (1), PROBE_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=DIR`
// or `--trace-gc`), PROBE_LOG (a file for the server's log lines). Prints one JSON line: the
// client's rate and latency, the load generator's own CPU (cores), the server's CPU per request
// (a cluster's: its primary's and every worker's), for one process its event-loop delay and
// utilization, garbage-collection pauses and its main thread's CPU apart from its other threads',
// its peak resident memory (each process of a cluster apart),
// and from the service's /metrics its own latency (first
// byte to answer) and its wait for the nonce store, as the histogram buckets' upper bounds.
// PROBE_LOADGEN=go sends the warm-up and the load from the Go generator (bench/loadgen, as the
// bench does) instead of autocannon and paced-load.mjs. BENCH_SERVICE_DIST runs another build's
// dist/index.js (alternating A/B probes of two commits, each from its own worktree).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { askChild } from './child-ipc.mjs';
import { buildLoadgen, goLoad, writeBodies } from './go-loadgen.mjs';
import { pacedLoad } from './paced-load.mjs';
import { checkToken, prepareStore } from './prepare-store.mjs';
import { histogramDelta, scrapeHistograms } from './server-histograms.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const target = process.env.PROBE_TARGET ?? 'service';
const rate = process.env.PROBE_RATE ? Number(process.env.PROBE_RATE) : undefined;
const connections = Number(process.env.PROBE_CONNECTIONS ?? 100);
const seconds = Number(process.env.PROBE_SECONDS ?? 8);
const nodeArgs = (process.env.PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const workers = process.env.BENCH_WORKERS ?? '1';
const useGo = process.env.PROBE_LOADGEN === 'go';

const dataDir = mkdtempSync(join(tmpdir(), 'licensor-probe-'));
const { licenseId, revision, installation } = await prepareStore(dataDir, 'p', 'sp');
const tok = () => checkToken(licenseId, revision, installation);
// Every request distinct (a replay is refused): the warm-up (2 s at saturation) and the run.
// PROBE_MAX_RPS (8000): the most a saturated run could answer, to sign no more than it may use.
const n =
  Math.ceil((rate ?? Number(process.env.PROBE_MAX_RPS ?? 8000)) * (seconds + 2) * 1.2) + 2000;
const tokens = Array.from({ length: n }, tok);
let t = 0;
const next = () => tokens[t++ % tokens.length];
const child = fork(join(here, target === 'bare' ? 'bare-server.mjs' : 'service-server.mjs'), {
  execArgv: ['--import', join(here, 'eld-preload.mjs'), ...nodeArgs],
  env: {
    ...process.env,
    BENCH_DATA_DIR: dataDir,
    LICENSOR_STATUS_KEY_PASSPHRASE: 'sp',
    BENCH_WORKERS: workers,
    BENCH_INSTALLATION_KEY: Buffer.from(installation.publicKey).toString('base64url'),
  },
  stdio: ['ignore', process.env.PROBE_LOG ? 'pipe' : 'ignore', 'inherit', 'ipc'],
});
if (process.env.PROBE_LOG) {
  const { createWriteStream } = await import('node:fs');
  child.stdout.pipe(createWriteStream(process.env.PROBE_LOG));
}
const ask = (message, key) => askChild(child, message, key);
let go = null;
if (useGo) {
  const built = buildLoadgen(dataDir);
  if (built.skipped) throw new Error(`PROBE_LOADGEN=go: ${built.skipped}`);
  const bodiesFile = join(dataDir, 'checks.txt');
  writeBodies(bodiesFile, tokens);
  go = { binary: built.binary, bodiesFile };
}
const { url } = await new Promise((res) => child.once('message', res));
if (go !== null) {
  const warm = await goLoad(go.binary, url, {
    connections: 10,
    seconds: 2,
    bodiesFile: go.bodiesFile,
  });
  if (warm.bodiesReused > 0) throw new Error(`the warm-up sent ${warm.bodiesReused} bodies twice`);
  t = warm.bodiesUsed;
} else {
  await autocannon({
    url: `${url}/v1/checks`,
    connections: 10,
    duration: 2,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        setupRequest: (r) => ({ ...r, body: next() }),
      },
    ],
  });
}
if (workers === '1') child.send('eld-reset');
// A cluster's primary answers with its own CPU time and every worker's (cluster-cpu.mjs).
const cpu0 = await ask('cpu', 'cpu');
const threads0 = workers === '1' ? await ask('threads', 'threads') : null;
const before = target === 'bare' ? null : await scrapeHistograms(url);
const gen0 = process.cpuUsage();
const load0 = loadavg()[0];
const t0 = performance.now();
let result;
if (go !== null) {
  const run = await goLoad(go.binary, url, {
    connections,
    seconds,
    rate,
    bodiesFile: go.bodiesFile,
    first: t,
  });
  // A body sent twice is a replay: the service refuses it, and the run would time refusals.
  if (run.bodiesReused > 0) {
    throw new Error(`the run sent ${run.bodiesReused} bodies twice: raise PROBE_MAX_RPS`);
  }
  t += run.bodiesUsed;
  const { sendsPerMs, answersPerMs, bodiesUsed, bodiesReused, ...kept } = run;
  result = kept;
} else if (rate !== undefined) {
  result = await pacedLoad(url, { connections, rate, seconds, nextToken: next });
} else {
  const r = await autocannon({
    url: `${url}/v1/checks`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        setupRequest: (q) => ({ ...q, body: next() }),
      },
    ],
  });
  result = {
    rps: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
const wall = (performance.now() - t0) / 1000;
const gen = process.cpuUsage(gen0);
const out = {
  target,
  rate,
  connections,
  seconds,
  workers,
  load: load0,
  ...result,
  // The Go generator reports its own cores (generatorCores); this is the Node process's.
  generatorCpuShare: Math.round(((gen.user + gen.system) / 1e6 / wall) * 100) / 100,
  // Every request sent since the start, warm-up included (what a whole-process profile covers).
  sentInAll: t,
};
const scraped = target === 'bare' ? null : await scrapeHistograms(url);
const server = scraped === null ? {} : histogramDelta(scraped, before);
out.serverMs = server.serverMs;
out.nonceStoreMs = server.nonceStoreMs;
// The nonces the replay guard holds at the end (its memory: about 150 B each).
if (scraped !== null) out.replayNonces = scraped.replayNonces;
if (cpu0) {
  const cpu1 = await ask('cpu', 'cpu');
  // Peak resident memory (MB) by the end of the run: the process's, or the primary's and each
  // worker's (cluster-cpu.mjs).
  out.peakRssMb = await ask('cpu', 'rss');
  out.serverCpuUsPerReq = Math.round(
    (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / result.requests,
  );
  if (workers === '1') out.eld = await ask('eld', 'eld');
  const threads1 = workers === '1' ? await ask('threads', 'threads') : null;
  if (threads0 !== null && threads1 !== null) {
    // The main thread's CPU per request, and the other threads' (the writer's, the pool's, GC).
    const per = (k) => Math.round(((threads1[k] - threads0[k]) * 1e6) / result.requests);
    out.mainThreadCpuUsPerReq = per('main');
    out.otherThreadsCpuUsPerReq = per('others');
    // Shares of the run's wall time: the main thread on a core, and waiting for one (it had work
    // and no core: other load); the rest it slept, with nothing to do (waiting for the store).
    out.mainThreadBusy = Math.round(((threads1.main - threads0.main) / wall) * 100) / 100;
    if (threads0.mainWaiting !== null && threads1.mainWaiting !== null) {
      out.mainThreadWaitingForCore =
        Math.round(((threads1.mainWaiting - threads0.mainWaiting) / wall) * 100) / 100;
    }
  }
}
console.log(JSON.stringify(out));
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
