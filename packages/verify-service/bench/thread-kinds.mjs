// `node bench/thread-kinds.mjs`: where the service's CPU per check goes, thread by thread, one
// process and `--workers 2` (BENCH_WORKERS list, default "1 2") under the same saturated load
// from the Go generator (THREADS_CONNECTIONS, default 100; THREADS_SECONDS, default 5), while `perf record`
// samples every thread of the server's processes. Each thread is named by what it ran (kindOf):
// the main thread, a store thread running SQLite, libuv's pool, V8's platform threads, or other.
// Prints one JSON line per setting: checks/s and µs of CPU per check by kind (all processes
// together), per process, and per thread. Needs perf and Go; not part of `pnpm bench`. Run it under
// `flock /tmp/bench.lock` (its rate is a timed figure).
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLoadgen, goLoad, writeBodies } from './go-loadgen.mjs';
import { checkToken, prepareStore } from './prepare-store.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.THREADS_SECONDS ?? 5);
const connections = Number(process.env.THREADS_CONNECTIONS ?? 100);
const settings = (process.env.BENCH_WORKERS ?? '1 2').split(/[ ,]+/).map(Number);
const frequency = 997;

/**
 * The kind of a thread from where its samples fell (perf resolves no symbols of node's own
 * code here, so by module): SQLite's addon (better-sqlite3) for a store thread (the check
 * writer or the checkpoint thread: not told apart), the kernel alone for libuv's pool (the
 * log's syncs and writes), node's binary without JavaScript for V8's platform threads
 * (garbage-collection helpers, the compiler); 'other' is the rest (the worker threads' own
 * event loops among them).
 */
function kindOf(tid, pid, modules) {
  if (tid === pid) return 'main';
  const total = [...modules.values()].reduce((a, b) => a + b, 0);
  const share = (pattern) =>
    [...modules].filter(([m]) => pattern.test(m)).reduce((a, [, n]) => a + n, 0) / total;
  const js = share(/perf-\d+\.map|\[JIT\]/);
  if (share(/better_sqlite3/) > 0.1) return 'SQLite (check writer or checkpoint)';
  if (share(/kernel/) > 0.6 && js < 0.02) return 'libuv pool';
  if (share(/\/node$/) > 0.4 && js < 0.02) return 'V8 platform (GC helpers)';
  return 'other';
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'licensor-thread-kinds-'));
try {
  const built = buildLoadgen(dataDir);
  if (built.skipped) throw new Error(built.skipped);
  const { licenseId, revision, installation } = await prepareStore(dataDir, 'p', 'sp');
  const perRun = Math.ceil(8000 * (seconds + 2) * 1.3);
  const tokens = Array.from({ length: perRun * settings.length }, () =>
    checkToken(licenseId, revision, installation),
  );
  const bodiesFile = join(dataDir, 'checks.txt');
  writeBodies(bodiesFile, tokens);
  let first = 0;
  for (const workers of settings) {
    const child = fork(join(here, 'service-server.mjs'), {
      env: {
        ...process.env,
        BENCH_DATA_DIR: dataDir,
        LICENSOR_STATUS_KEY_PASSPHRASE: 'sp',
        BENCH_WORKERS: String(workers),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const { url } = await new Promise((resolve) => child.once('message', resolve));
    const warm = await goLoad(built.binary, url, {
      connections,
      seconds: 2,
      bodiesFile,
      first,
    });
    first += warm.bodiesUsed;
    const pids = workers > 1 ? childrenOf(child.pid) : [child.pid];
    const perfFile = join(dataDir, `perf-${workers}.data`);
    const perf = spawn(
      'perf',
      ['record', '-F', String(frequency), '-p', pids.join(','), '-o', perfFile],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const load0 = loadavg()[0];
    const run = await goLoad(built.binary, url, { connections, seconds, bodiesFile, first });
    first += run.bodiesUsed;
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.once('exit', resolve));
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    // Samples by thread, and by module (executable or library) within each thread.
    const script = execFileSync('perf', ['script', '-i', perfFile, '-F', 'pid,tid,ip,dso'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const threads = new Map();
    for (const line of script.split('\n')) {
      const m = /^\s*(\d+)\/(\d+)\s+\S+\s+\((.*)\)\s*$/.exec(line);
      if (!m) continue;
      const key = `${m[1]}/${m[2]}`;
      const entry = threads.get(key) ?? {
        pid: Number(m[1]),
        tid: Number(m[2]),
        modules: new Map(),
      };
      entry.modules.set(m[3], (entry.modules.get(m[3]) ?? 0) + 1);
      threads.set(key, entry);
    }
    const byKind = {};
    const perProcess = {};
    const detail = [];
    for (const { pid, tid, modules } of threads.values()) {
      const kind = kindOf(tid, pid, modules);
      const samples = [...modules.values()].reduce((a, b) => a + b, 0);
      const us = (samples / frequency) * 1e6;
      byKind[kind] = (byKind[kind] ?? 0) + us;
      perProcess[pid] ??= {};
      perProcess[pid][kind] = (perProcess[pid][kind] ?? 0) + us;
      const top = [...modules].sort((a, b) => b[1] - a[1]).slice(0, 3);
      detail.push({
        pid,
        tid,
        kind,
        us,
        top: top.map(([m, n]) => `${m.split('/').at(-1)} ${Math.round((n / samples) * 100)}%`),
      });
    }
    const perCheck = (us) => Math.round((us / run.requests) * 10) / 10;
    console.log(
      JSON.stringify({
        workers,
        load: load0,
        loadAfter: loadavg()[0],
        rps: run.rps,
        checks: run.requests,
        generatorCores: run.generatorCores,
        usPerCheckByKind: Object.fromEntries(
          Object.entries(byKind).map(([k, us]) => [k, perCheck(us)]),
        ),
        usPerCheckAll: perCheck(Object.values(byKind).reduce((a, b) => a + b, 0)),
        threads: detail
          .filter((x) => x.us / run.requests >= 1)
          .map((x) => `${x.pid}/${x.tid} ${x.kind} ${perCheck(x.us)} µs (${x.top.join(', ')})`),
        perProcess: Object.values(perProcess).map((kinds) =>
          Object.fromEntries(Object.entries(kinds).map(([k, us]) => [k, perCheck(us)])),
        ),
      }),
    );
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
