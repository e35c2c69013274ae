// Cluster mode, `licensor-verify serve --workers N`: one host's cores for one service. The primary
// process only supervises; each worker runs the whole service (`serve`: its own store
// connection, status keys, caches and record buffer) on one shared listening socket, which
// node:cluster hands out round-robin. A worker is exactly one more instance behind a load
// balancer (README, "Scaling out"), with two things added here:
// - /metrics on any worker sums every worker's figures, gathered over IPC by the primary, so a
//   Prometheus scrape sees the service, not the worker it happened to reach;
// - the primary forwards SIGTERM/SIGINT (each worker drains: in-flight checks, check records)
//   and SIGHUP (status keys reloaded), and replaces a worker that dies.
// Workers start one after the other: a refusal (no status key, port taken) is printed once, by
// the first, and the SQLite schema is migrated by one process before the others open it.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { VerifyServiceError } from './errors.js';
import { type MetricSnapshot, mergeMetricSnapshots } from './metrics.js';

const CHANNEL = 'licensor-verify';

type ClusterMessage =
  | { channel: typeof CHANNEL; type: 'metrics-request'; id: number }
  | { channel: typeof CHANNEL; type: 'metrics-collect'; id: number }
  | { channel: typeof CHANNEL; type: 'metrics-part'; id: number; snapshot: MetricSnapshot }
  | { channel: typeof CHANNEL; type: 'metrics-result'; id: number; snapshot: MetricSnapshot }
  | { channel: typeof CHANNEL; type: 'metrics-failed'; id: number; message: string };

function isClusterMessage(message: unknown): message is ClusterMessage {
  return (message as { channel?: unknown } | null)?.channel === CHANNEL;
}

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** How long a scrape waits for the other workers' figures. */
  metricsTimeoutMs?: number;
  /** After SIGTERM, how long the workers get before they are killed (their own grace + margin). */
  stopDeadlineMs?: number;
  /** More restarts than this within `restartWindowMs` and the primary gives up (exit 1). */
  maxRestarts?: number;
  restartWindowMs?: number;
}

/**
 * The primary: starts the workers one by one, supervises them and relays signals. Resolves with
 * the process's exit code: a worker's own code when the first start is refused, 0 after a clean
 * stop, 1 when a worker could not write its records or workers keep dying.
 */
export function runClusterPrimary(options: ClusterOptions): Promise<number> {
  const { logger } = options;
  const metricsTimeoutMs = options.metricsTimeoutMs ?? 2_000;
  const stopDeadlineMs = options.stopDeadlineMs ?? 15_000;
  const maxRestarts = options.maxRestarts ?? 10;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  const live = new Set<Worker>();
  /** Workers that listen, and so have a service to report on. */
  const ready = new Set<Worker>();
  const restarts: number[] = [];
  let stopping = false;
  let failed = false;
  let nextCollect = 0;

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onReload);
      if (stopping) logger.info({ event: 'stopped', exitCode: code }, 'licensor-verify stopped');
      logger.flush();
      resolve(code);
    };

    const stopAll = (reason: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'stopping', reason, workers: live.size }, 'licensor-verify stopping');
      if (live.size === 0) return finish(failed ? 1 : 0);
      for (const worker of live) worker.process.kill('SIGTERM');
      setTimeout(() => {
        for (const worker of live) {
          logger.error(
            { event: 'worker_killed', workerPid: worker.process.pid },
            'worker did not stop',
          );
          worker.process.kill('SIGKILL');
        }
      }, stopDeadlineMs).unref();
    };
    const onStop = (signal: NodeJS.Signals) => stopAll(signal);
    const onReload = () => {
      for (const worker of live) worker.process.kill('SIGHUP');
    };

    /** Forks one worker; resolves true once it listens, false if it exits first. */
    const fork = (): Promise<boolean> =>
      new Promise((started) => {
        const worker = cluster.fork();
        live.add(worker);
        let listening = false;
        worker.on('message', (message: unknown) => onWorkerMessage(worker, message));
        worker.once('listening', (address) => {
          listening = true;
          ready.add(worker);
          started(true);
          logger.debug({
            event: 'worker_listening',
            workerPid: worker.process.pid,
            port: address.port,
          });
        });
        worker.once('exit', (code, signal) => {
          live.delete(worker);
          ready.delete(worker);
          if (code !== 0) failed = failed || stopping;
          if (!listening) started(false);
          if (stopping) {
            if (live.size === 0) finish(failed ? 1 : 0);
            return;
          }
          if (!listening) return; // a refused start: the caller decides
          logger.error(
            { event: 'worker_exited', workerPid: worker.process.pid, code, signal },
            'a worker exited; starting another',
          );
          replace();
        });
      });

    const replace = () => {
      const now = Date.now();
      while (restarts.length > 0 && restarts[0]! < now - restartWindowMs) restarts.shift();
      restarts.push(now);
      if (restarts.length > maxRestarts) {
        logger.fatal(
          { event: 'workers_failing', restarts: restarts.length, windowMs: restartWindowMs },
          'workers keep exiting; stopping the service',
        );
        failed = true;
        stopAll('workers failing');
        return;
      }
      // Back off when workers die in a row, so a persistent fault does not spin the CPU.
      const delay = Math.min(10_000, 250 * 2 ** (restarts.length - 1));
      setTimeout(() => {
        if (stopping) return;
        void fork().then((ok) => {
          if (!ok && !stopping) replace();
        });
      }, delay).unref();
    };

    /** A scrape on `asker`: gather every live worker's snapshot and send back the sum. */
    const collectMetrics = (asker: Worker, id: number) => {
      const collect = ++nextCollect;
      const parts: MetricSnapshot[] = [];
      const waiting = new Set(ready);
      const done = (failure?: string) => {
        clearTimeout(timer);
        for (const worker of ready) worker.off('message', onPart);
        if (!asker.isConnected()) return;
        asker.send(
          failure === undefined
            ? {
                channel: CHANNEL,
                type: 'metrics-result',
                id,
                snapshot: mergeMetricSnapshots(parts),
              }
            : { channel: CHANNEL, type: 'metrics-failed', id, message: failure },
        );
      };
      const onPart = function (this: Worker, message: unknown) {
        if (!isClusterMessage(message) || message.type !== 'metrics-part') return;
        if (message.id !== collect || !waiting.delete(this)) return;
        parts.push(message.snapshot);
        if (waiting.size === 0) done();
      };
      const timer = setTimeout(
        () =>
          done(
            `${waiting.size} of ${ready.size} workers did not report within ${metricsTimeoutMs} ms`,
          ),
        metricsTimeoutMs,
      );
      for (const worker of waiting) {
        worker.on('message', onPart);
        worker.send({ channel: CHANNEL, type: 'metrics-collect', id: collect });
      }
    };

    const onWorkerMessage = (worker: Worker, message: unknown) => {
      if (isClusterMessage(message) && message.type === 'metrics-request') {
        collectMetrics(worker, message.id);
      }
    };

    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onReload);

    void (async () => {
      let port: number | undefined;
      cluster.once('listening', (_worker, address) => {
        port = address.port;
      });
      for (let i = 0; i < options.workers; i++) {
        if (stopping) return;
        if (!(await fork())) {
          // The worker printed why (ERR_NO_STATUS_KEY, ERR_LISTEN_FAILED, ...) and exited.
          failed = true;
          stopAll('a worker could not start');
          return;
        }
      }
      logger.info(
        { event: 'cluster_ready', workers: options.workers, port },
        `licensor-verify: ${options.workers} workers listening`,
      );
    })();
  });
}

/**
 * The worker's side: answers the primary's collects with `snapshot()`, and returns the function
 * /metrics uses to get the whole service's figures.
 */
export function joinCluster(
  snapshot: () => MetricSnapshot,
  timeoutMs = 3_000,
): () => Promise<MetricSnapshot> {
  const pending = new Map<number, (message: ClusterMessage) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.type === 'metrics-collect') {
      process.send?.({
        channel: CHANNEL,
        type: 'metrics-part',
        id: message.id,
        snapshot: snapshot(),
      });
    } else if (message.type === 'metrics-result' || message.type === 'metrics-failed') {
      pending.get(message.id)?.(message);
    }
  });
  return () =>
    new Promise<MetricSnapshot>((resolve, reject) => {
      const id = ++nextId;
      const fail = (why: string) => {
        pending.delete(id);
        clearTimeout(timer);
        reject(
          new VerifyServiceError(
            'ERR_METRICS_UNAVAILABLE',
            `The workers' metrics could not be gathered (${why}); scrape again.`,
          ),
        );
      };
      const timer = setTimeout(() => fail('no answer from the primary'), timeoutMs);
      pending.set(id, (message) => {
        if (message.type === 'metrics-failed') return fail(message.message);
        if (message.type !== 'metrics-result') return;
        pending.delete(id);
        clearTimeout(timer);
        resolve(message.snapshot);
      });
      process.send?.({ channel: CHANNEL, type: 'metrics-request', id });
    });
}
