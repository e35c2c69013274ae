// The one bench harness every package's `bench/run.mjs` uses (#10.4): timing of an operation
// (latency percentiles and rate), rates with CPU time, medians, a closed-loop HTTP load over
// keep-alive connections, the machine's description, and writing `bench/results.json`. The
// store seeding lives in `@licensor/issuer/seed` (seedStore), which the benches on a store use.
// No dependencies: a package imports it by path (`../../../bench/kit.mjs`).

import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

/** The median: the middle value, or the mean of the two middle ones for an even count. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0-100) of values (nearest rank). */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (value, digits = 2) => Number(value.toFixed(digits));

/**
 * Runs `op(i)` one at a time, `warmup` times untimed, then for `seconds` (or `count` times,
 * whichever ends first): latency percentiles in milliseconds and operations per second.
 */
export async function measureLatency(
  op,
  { seconds = 1, count = Number.POSITIVE_INFINITY, warmup = 5 } = {},
) {
  for (let i = 0; i < warmup; i += 1) await op(i);
  const samples = [];
  const end = performance.now() + seconds * 1000;
  let i = warmup;
  while (performance.now() < end && samples.length < count) {
    const start = performance.now();
    await op(i++);
    samples.push(performance.now() - start);
  }
  const total = samples.reduce((sum, sample) => sum + sample, 0);
  return {
    ops: samples.length,
    p50Ms: round(percentile(samples, 50)),
    p95Ms: round(percentile(samples, 95)),
    p99Ms: round(percentile(samples, 99)),
    medianUs: Math.round(percentile(samples, 50) * 1000),
    opsPerSecond: Math.round((samples.length / total) * 1000),
  };
}

/**
 * CPU time of this process's main thread so far, in microseconds (Linux: the scheduler's own
 * count in /proc, nanoseconds), or null where there is none. Beside process.cpuUsage() it tells
 * the event loop's share from other threads' (a store's writer thread, libuv's pool, GC helpers).
 */
export function mainThreadCpuUs() {
  try {
    const text = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    return Number(text.split(' ')[0]) / 1000;
  } catch {
    return null;
  }
}

/** Operations per second of wall time, and CPU microseconds per operation, since `started`. */
export function rateOf(done, started, cpu) {
  const used = process.cpuUsage(cpu);
  return {
    perSecond: done / ((performance.now() - started) / 1000),
    cpuUs: (used.user + used.system) / done,
  };
}

/**
 * A closed loop of `connections` keep-alive connections, each sending its next request when
 * the answer arrives, for `seconds`: requests per second, latency p50/p99 (ms), and the count
 * of answers that were not 2xx. `next()` gives each request: { method, path, headers, body }.
 */
export async function closedLoad(baseUrl, { connections, seconds, next }) {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let non2xx = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const { method = 'GET', path, headers = {}, body } = next();
      const start = performance.now();
      const req = request(
        { host: url.hostname, port: url.port, method, path, agent, headers },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - start);
            if (res.statusCode < 200 || res.statusCode >= 300) non2xx += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    requests: latencies.length,
    rps: Math.round(latencies.length / elapsed),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    non2xx,
    errors,
  };
}

/** What the figures were measured on, and how busy it was (1-minute load average). */
export function machine() {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    loadAverage1m: round(loadavg()[0]),
  };
}

/** Writes `<dir>/results.json` (with when and where it was measured) and prints it. */
export function writeResults(dir, report) {
  const full = { generatedAt: new Date().toISOString(), ...machine(), ...report };
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(full, null, 2)}\n`);
  console.log(JSON.stringify(full, null, 2));
  return full;
}
