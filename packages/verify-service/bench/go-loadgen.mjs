// The Go load generator (bench/loadgen) as the bench uses it: built with the local Go toolchain
// into a scratch directory, fed the same pre-signed check requests as the Node generator
// through a file (one per line), and run as a child process per run. It costs the shared cores
// a fraction of what the Node generator does (README, Figures). Without Go, `buildLoadgen`
// says why and the bench falls back to the Node generator.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = join(dirname(fileURLToPath(import.meta.url)), 'loadgen');

/** Builds the generator into `dir`: `{ binary }`, or `{ skipped }` with the reason. */
export function buildLoadgen(dir) {
  const binary = join(dir, 'licensor-loadgen');
  const built = spawnSync('go', ['build', '-buildvcs=false', '-o', binary, '.'], {
    cwd: source,
    // The module has no dependencies: nothing is fetched, and the local toolchain is used.
    env: { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off' },
    encoding: 'utf8',
  });
  if (built.error?.code === 'ENOENT') {
    return { skipped: 'Go is not installed (no `go` on PATH)' };
  }
  if (built.error || built.status !== 0) {
    return {
      skipped: `go build failed in ${source}: ${(built.error?.message ?? built.stderr).trim()}`,
    };
  }
  return { binary };
}

/** Writes the request bodies the generator sends, one per line (a JWS holds no newline). */
export function writeBodies(file, bodies) {
  writeFileSync(file, `${bodies.join('\n')}\n`);
}

/**
 * One run: closed loop at `connections` (no `rate`) or paced at `rate` a second. Bodies
 * `first`, `first + 1`, ... of the file (with `cycle`, the first `cycle` of them over and
 * over). Gives the figures in the shape bench/run.mjs keeps (rps, p50Ms, p99Ms, requests,
 * non2xx, errors, generatorCores) and the generator's own: `bodiesUsed`, the per-millisecond
 * sends and answers, and for a paced run apart: the send lag (due to written), the
 * generator's own lateness (due to released by its clock) and the send-to-answer time.
 */
export function goLoad(
  binary,
  url,
  { connections, seconds, rate, bodiesFile, first = 0, cycle = 0, timeline },
) {
  const args = [
    '-addr',
    new URL(url).host,
    '-bodies',
    bodiesFile,
    '-first',
    String(first),
    '-cycle',
    String(cycle),
    '-connections',
    String(connections),
    '-seconds',
    String(seconds),
    ...(rate === undefined ? [] : ['-rate', String(rate)]),
    ...(timeline === undefined ? [] : ['-timeline', timeline]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`the Go load generator exited with ${code}: ${err.trim()}`));
        return;
      }
      const run = JSON.parse(out);
      const { latencyMs } = run;
      resolve({
        generator: 'go',
        rps: run.rps,
        p50Ms: latencyMs.p50,
        p90Ms: latencyMs.p90,
        p99Ms: latencyMs.p99,
        p999Ms: latencyMs.p999,
        maxMs: latencyMs.max,
        requests: run.requests,
        non2xx: run.non2xx,
        ...(run.non2xx > 0 ? { statuses: run.statuses } : {}),
        errors: run.errors,
        generatorCores: run.generatorCores,
        ...(run.sendLagMs
          ? {
              sendLagMs: run.sendLagMs,
              generatorLateMs: run.generatorLateMs,
              sendToAnswerMs: run.sendToAnswerMs,
            }
          : {}),
        sendsPerMs: run.sendsPerMs,
        answersPerMs: run.answersPerMs,
        bodiesUsed: run.bodiesUsed,
        bodiesReused: run.bodiesReused,
      });
    });
  });
}
