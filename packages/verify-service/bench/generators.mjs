// `node bench/generators.mjs`: the same load sent to one server by the Node generator
// (autocannon, or bench/paced-load.mjs when paced) and by the Go one (bench/loadgen), in
// alternating runs, to see what the generator itself adds (#15.5). Each run reports the
// client's rate and latency, the generator's CPU (cores), the server's CPU per request (main
// thread and other threads), its event-loop delay, and its turns (bench/turn-preload.mjs:
// requests read and answers written per turn, turn lengths); the Go runs also the per-ms
// sends and answers and, paced, the send lag apart from the send-to-answer time.
// GEN_TARGET=bare|service (bare), GEN_RATE (a paced load; unset: saturated; `0.7x`: 70% of the
// rate the Go generator saturates the server at, measured for 3 s first), GEN_CONNECTIONS
// (100), GEN_SECONDS (5), GEN_PAIRS (3), BENCH_WORKERS (1), GEN_TIMELINE_DIR (the Go runs' per-ms
// CSVs). Prints one JSON line per run. Time it under `flock /tmp/bench.lock`.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autocannonLoad } from './autocannon-load.mjs';
import { askChild } from './child-ipc.mjs';
import { buildLoadgen, goLoad, writeBodies } from './go-loadgen.mjs';
import { pacedLoad } from './paced-load.mjs';
import { checkToken, prepareStore } from './prepare-store.mjs';
import { histogramDelta, scrapeHistograms } from './server-histograms.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const target = process.env.GEN_TARGET ?? 'bare';
const rateSetting = process.env.GEN_RATE;
let rate = rateSetting && !rateSetting.endsWith('x') ? Number(rateSetting) : undefined;
const connections = Number(process.env.GEN_CONNECTIONS ?? 100);
const seconds = Number(process.env.GEN_SECONDS ?? 5);
const pairs = Number(process.env.GEN_PAIRS ?? 3);
const workers = process.env.BENCH_WORKERS ?? '1';
const timelineDir = process.env.GEN_TIMELINE_DIR;

const dataDir = mkdtempSync(join(tmpdir(), 'licensor-generators-'));
try {
  const built = buildLoadgen(dataDir);
  if (built.skipped) throw new Error(`cannot compare: ${built.skipped}`);
  const { licenseId, revision, installation } = await prepareStore(dataDir, 'p', 'sp');
  // Distinct requests for the service (a replay is refused): the warm-ups and every run.
  const perRun = Math.ceil((rate ?? 9000) * seconds * 1.3);
  const tokens = Array.from({ length: perRun * (2 * pairs + 1) + 30_000 }, () =>
    checkToken(licenseId, revision, installation),
  );
  const bodiesFile = join(dataDir, 'checks.txt');
  writeBodies(bodiesFile, tokens);
  let t = 0;
  // The bare server does not look at nonces: it gets the first 1 000 over and over, as in run.mjs.
  const cycle = target === 'bare' ? 1000 : 0;
  const next = () => (cycle ? tokens[t++ % cycle] : tokens[t++]);

  const child = fork(join(here, target === 'bare' ? 'bare-server.mjs' : 'service-server.mjs'), {
    execArgv: [
      '--import',
      join(here, 'eld-preload.mjs'),
      '--import',
      join(here, 'turn-preload.mjs'),
    ],
    env: {
      ...process.env,
      BENCH_DATA_DIR: dataDir,
      LICENSOR_STATUS_KEY_PASSPHRASE: 'sp',
      BENCH_WORKERS: workers,
      BENCH_INSTALLATION_KEY: Buffer.from(installation.publicKey).toString('base64url'),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ask = (message, key) => askChild(child, message, key);
  const { url } = await new Promise((resolve) => child.once('message', resolve));
  await autocannonLoad(url, 10, 2, next);
  if (rateSetting?.endsWith('x')) {
    const saturated = await goLoad(built.binary, url, {
      connections,
      seconds: 3,
      bodiesFile,
      first: cycle ? 0 : t,
      cycle,
    });
    if (!cycle) t += saturated.bodiesUsed;
    rate = Math.round(saturated.rps * Number(rateSetting.slice(0, -1)));
    process.stderr.write(`saturated at ${saturated.rps}/s: paced at ${rate}/s\n`);
  }

  for (let i = 0; i < 2 * pairs; i++) {
    const generator = i % 2 === 0 ? 'node' : 'go';
    if (workers === '1') {
      child.send('eld-reset');
      child.send('turns-reset');
    }
    const threads0 = workers === '1' ? await ask('threads', 'threads') : null;
    const cpu0 = await ask('cpu', 'cpu');
    const histograms0 = target === 'bare' ? null : await scrapeHistograms(url);
    const load0 = loadavg()[0];
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    let result;
    if (generator === 'node') {
      result =
        rate === undefined
          ? await autocannonLoad(url, connections, seconds, next)
          : await pacedLoad(url, { connections, rate, seconds, nextToken: next });
      const own = process.cpuUsage(own0);
      const wall = (performance.now() - t0) / 1000;
      result.generatorCores = Math.round(((own.user + own.system) / 1e6 / wall) * 100) / 100;
    } else {
      result = await goLoad(built.binary, url, {
        connections,
        seconds,
        rate,
        bodiesFile,
        first: cycle ? 0 : t,
        cycle,
        ...(timelineDir
          ? { timeline: join(timelineDir, `${target}-${rate ?? 'closed'}-${i}.csv`) }
          : {}),
      });
      if (!cycle) t += result.bodiesUsed;
    }
    const cpu1 = await ask('cpu', 'cpu');
    const out = { generator, target, rate, connections, seconds, load: load0, ...result };
    out.serverCpuUsPerReq = Math.round(
      (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / result.requests,
    );
    if (workers === '1') {
      const threads1 = await ask('threads', 'threads');
      const per = (k) => Math.round(((threads1[k] - threads0[k]) * 1e6) / result.requests);
      out.mainThreadCpuUsPerReq = per('main');
      out.otherThreadsCpuUsPerReq = per('others');
      out.eld = await ask('eld', 'eld');
      out.turns = await ask('turns', 'turns');
    }
    if (target !== 'bare') {
      const h = histogramDelta(await scrapeHistograms(url), histograms0);
      out.serverMs = h.serverMs;
      out.nonceStoreMs = h.nonceStoreMs;
    }
    out.loadAfter = loadavg()[0];
    console.log(JSON.stringify(out));
  }
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
