// The service under load: `serve()` from the built package on the embedded store, exactly as
// `licensor-verify serve --data DIR [--workers N]` runs it (check logging on, records batched),
// except that the rate limits are lifted so that one load generator may send thousands of
// checks a second (the limiter still runs on every request). Logs go to stdout, which the
// bench discards. BENCH_WORKERS > 1 runs it as a cluster (runClusterPrimary + joinCluster).
import cluster from 'node:cluster';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';

// BENCH_SERVICE_DIST: another build's dist/index.js (an A/B probe of two commits); this one's by default.
const { joinCluster, runClusterPrimary, serve } = await import(
  process.env.BENCH_SERVICE_DIST
    ? pathToFileURL(process.env.BENCH_SERVICE_DIST).href
    : '../dist/index.js'
);

const slot = Number(process.env.LICENSOR_VERIFY_WORKER_SLOT) || undefined;

import { clusterCpu, peakRssMb, reportCpu } from './cluster-cpu.mjs';
import { threadCpu } from './thread-cpu.mjs';

const workers = Number(process.env.BENCH_WORKERS ?? 1);
const lifted = { burst: 1e12, perSecond: 1e12 };

if (workers > 1 && cluster.isPrimary) {
  const logger = pino({ level: 'warn' });
  cluster.on('listening', (_worker, address) => {
    if (Object.keys(cluster.workers ?? {}).length === workers) {
      process.send({ url: `http://127.0.0.1:${address.port}` });
    }
  });
  clusterCpu();
  const code = await runClusterPrimary({ workers, logger });
  process.send({ stopped: true, unwritten: code === 0 ? 0 : null, written: null }, () =>
    process.exit(0),
  );
} else {
  let running;
  const aggregateMetrics = cluster.isWorker
    ? joinCluster(() => running?.service.metricsSnapshot() ?? null)
    : undefined;
  running = await serve({
    port: 0,
    host: '127.0.0.1',
    dataDir: process.env.BENCH_DATA_DIR,
    passphrase: process.env.LICENSOR_STATUS_KEY_PASSPHRASE,
    logLevel: 'info',
    ...(slot !== undefined ? { worker: slot } : {}),
    ...(aggregateMetrics ? { aggregateMetrics } : {}),
    config: {
      rateLimitPerIp: lifted,
      rateLimitPerInstallation: lifted,
      // The product's replay guard (200 000 nonces, about 150 B each) unless BENCH_REPLAY_CACHE
      // sets another size: the bench's peak memory is then that of the default. Until 2 Dec it was
      // 1 000 000, so a run's peak grew with the checks it answered (docs/performance-history.md).
      ...(process.env.BENCH_REPLAY_CACHE
        ? { replayCacheSize: Number(process.env.BENCH_REPLAY_CACHE) }
        : {}),
      // BENCH_LOG_CHECKS=0: no line per check answered (a probe of what the line costs).
      ...(process.env.BENCH_LOG_CHECKS === '0' ? { logChecks: false } : {}),
    },
  });
  if (cluster.isWorker) {
    reportCpu();
    process.on('SIGTERM', async () => process.exit((await running.shutdown('SIGTERM')) ? 1 : 0));
  } else {
    process.send({ url: running.server.url });
    process.on('SIGTERM', async () => {
      const unwritten = await running.shutdown('SIGTERM');
      process.send({ stopped: true, unwritten, written: running.service.recorder.flushed }, () =>
        process.exit(0),
      );
    });
    // The bench asks for the CPU time spent, to report CPU per request beside the rates.
    process.on('message', (message) => {
      if (message === 'cpu') {
        process.send({
          cpu: process.cpuUsage(),
          threads: threadCpu(),
          rss: { primaryMb: peakRssMb(), workersMb: [] },
        });
      }
    });
  }
}
