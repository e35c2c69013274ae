// Cluster mode, `licensor-verify serve --workers N`: one host's cores for one service. The primary
// process only supervises; each worker runs the whole service (`serve`: its own store
// connection, status keys, caches and record buffer) on one shared listening socket, which
// node:cluster hands out round-robin. A worker is exactly one more instance behind a load
// balancer (README, "Scaling out"), with these added here:
// - each worker has a slot, 1..N, that its replacement inherits: `worker="<slot>"` on its metric
//   series and log lines;
// - /metrics on any worker shows every worker's series, gathered over IPC by the primary, so a
//   Prometheus scrape sees the service, not the worker it happened to reach;
// - the primary relays SIGTERM/SIGINT (each worker drains: in-flight checks, check records)
//   and SIGHUP (status keys), and replaces a worker that dies.
// Workers start one after the other: a refusal (no status key, port taken) is printed once, by
// the first, and the SQLite schema is migrated by one process before the others open it.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { MetricsUnavailableError } from './errors.js';
import type { MetricPart, MetricSnapshot } from './metrics.js';

const CHANNEL = 'licensor-verify';
/** The environment variable that gives a worker its slot. */
export const WORKER_SLOT_ENV = 'LICENSOR_VERIFY_WORKER_SLOT';

/**
 * V8 settings every worker gets unless the operator gave the same flag (in node's own arguments or
 * NODE_OPTIONS). A larger young generation: a check's objects that are still in flight when the
 * collector runs (the request, its answer, the promises waiting for the nonce store) are copied
 * by every scavenge, so fewer scavenges copy less, and with N processes on N cores the
 * collector's helper threads take the CPU the other workers need (README, Figures). A worker's
 * young generation may then grow to three times 64 MiB instead of three times 16 (node's
 * documentation of the flag; two semi-spaces measured 2 x 64), committed as it is used.
 */
export const WORKER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The node arguments of a worker: the primary's, then each of WORKER_V8_FLAGS not set already. */
export function workerExecArgv(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map(flagName);
  return [...execArgv, ...WORKER_V8_FLAGS.filter((flag) => !given.includes(flagName(flag)))];
}

/** A flag's name as V8 reads it: before any `=`, underscores as dashes. */
function flagName(argument: string): string {
  const equals = argument.indexOf('=');
  return (equals === -1 ? argument : argument.slice(0, equals)).replaceAll('_', '-');
}

type ClusterMessage =
  | { channel: typeof CHANNEL; type: 'metrics-request'; id: number }
  | { channel: typeof CHANNEL; type: 'metrics-collect'; id: number }
  | { channel: typeof CHANNEL; type: 'metrics-part'; id: number; snapshot: MetricSnapshot | null }
  | { channel: typeof CHANNEL; type: 'metrics-result'; id: number; parts: MetricPart[] }
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

interface Slot {
  readonly number: number;
  worker: Worker | null;
  /** True once the worker listens: it has a service to report on and to reload. */
  ready: boolean;
}

interface Collect {
  asker: Worker;
  askerId: number;
  waiting: Set<Slot>;
  parts: MetricPart[];
  timer: NodeJS.Timeout;
}

/**
 * The primary: starts the workers one by one, supervises them and relays signals. Resolves with
 * the process's exit code: 0 after a clean stop; 1 when the first start is refused (the worker
 * printed why), when a worker could not write its records, or when workers keep dying.
 */
export function runClusterPrimary(options: ClusterOptions): Promise<number> {
  const { logger } = options;
  const metricsTimeoutMs = options.metricsTimeoutMs ?? 2_000;
  const stopDeadlineMs = options.stopDeadlineMs ?? 15_000;
  const maxRestarts = options.maxRestarts ?? 10;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  const slots: Slot[] = Array.from({ length: options.workers }, (_, i) => ({
    number: i + 1,
    worker: null,
    ready: false,
  }));
  const collects = new Map<number, Collect>();
  const restarts: number[] = [];
  // Backoff timers are kept (and referenced): while every worker is down, they are what keeps
  // the primary alive to start the next one.
  const pendingForks = new Set<NodeJS.Timeout>();
  let stopping = false;
  let failed = false;
  let finished = false;
  let nextCollect = 0;
  let everListened = false;

  cluster.setupPrimary({
    execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS ?? ''),
  });

  return new Promise<number>((resolve) => {
    const live = () => slots.filter((slot) => slot.worker !== null);

    const finish = () => {
      if (finished) return;
      finished = true;
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onReload);
      const code = failed ? 1 : 0;
      logger.info({ event: 'stopped', exitCode: code }, 'licensor-verify stopped');
      logger.flush();
      resolve(code);
    };

    const stopAll = (reason: string) => {
      if (stopping) return;
      stopping = true;
      for (const timer of pendingForks) clearTimeout(timer);
      pendingForks.clear();
      const running = live();
      logger.info(
        { event: 'stopping', reason, workers: running.length },
        'licensor-verify stopping',
      );
      if (running.length === 0) return finish();
      for (const slot of running) slot.worker?.process.kill('SIGTERM');
      setTimeout(() => {
        for (const slot of live()) {
          logger.error({ event: 'worker_killed', worker: slot.number }, 'worker did not stop');
          slot.worker?.process.kill('SIGKILL');
        }
      }, stopDeadlineMs).unref();
    };
    const onStop = (signal: NodeJS.Signals) => stopAll(signal);
    // A worker still starting loads the current keys anyway, and has no handler yet.
    const onReload = () => {
      for (const slot of slots) if (slot.ready) slot.worker?.process.kill('SIGHUP');
    };

    /** The slot's worker left (exit or a closed channel): no collect waits on it any more. */
    const leave = (slot: Slot) => {
      slot.ready = false;
      for (const [id, collect] of collects) {
        if (collect.waiting.delete(slot) && collect.waiting.size === 0) completeCollect(id);
      }
    };

    /** Forks the slot's worker; resolves true once it listens, false if it exits first. */
    const fork = (slot: Slot): Promise<boolean> =>
      new Promise((started) => {
        const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.number) });
        slot.worker = worker;
        slot.ready = false;
        let listening = false;
        worker.on('message', (message: unknown) => onWorkerMessage(slot, worker, message));
        // A send to a worker whose channel just closed: never let it crash the primary.
        worker.on('error', (error) => {
          logger.warn({ event: 'worker_ipc_error', worker: slot.number, err: error });
        });
        worker.once('disconnect', () => leave(slot));
        worker.once('listening', () => {
          listening = true;
          slot.ready = true;
          started(true);
        });
        worker.once('exit', (code, signal) => {
          if (slot.worker === worker) slot.worker = null;
          leave(slot);
          if (!listening) started(false);
          if (stopping) {
            // A worker stopped before it listened has no records to lose.
            if (code !== 0 && listening) failed = true;
            if (live().length === 0) finish();
            return;
          }
          if (!listening && slot.number === 1 && !everListened) return; // a refused first start
          logger.error(
            {
              event: 'worker_exited',
              worker: slot.number,
              workerPid: worker.process.pid,
              code,
              signal,
            },
            'a worker exited; starting another',
          );
          replace(slot);
        });
      });

    const replace = (slot: Slot) => {
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
      const timer = setTimeout(() => {
        pendingForks.delete(timer);
        if (!stopping) void fork(slot);
      }, delay);
      pendingForks.add(timer);
    };

    const completeCollect = (id: number, failure?: string) => {
      const collect = collects.get(id);
      if (collect === undefined) return;
      collects.delete(id);
      clearTimeout(collect.timer);
      const { asker, askerId } = collect;
      if (!asker.isConnected()) return;
      asker.send(
        failure === undefined
          ? {
              channel: CHANNEL,
              type: 'metrics-result',
              id: askerId,
              parts: collect.parts.sort((a, b) => (a.worker ?? 0) - (b.worker ?? 0)),
            }
          : { channel: CHANNEL, type: 'metrics-failed', id: askerId, message: failure },
      );
    };

    /** A scrape on `asker`: gather every listening worker's snapshot and send back the parts. */
    const startCollect = (asker: Worker, askerId: number) => {
      const id = ++nextCollect;
      const waiting = new Set(slots.filter((slot) => slot.ready && slot.worker?.isConnected()));
      const timer = setTimeout(() => {
        const late = [...(collects.get(id)?.waiting ?? [])].map((slot) => slot.number);
        completeCollect(
          id,
          `worker ${late.join(', ')} did not report within ${metricsTimeoutMs} ms`,
        );
      }, metricsTimeoutMs);
      collects.set(id, { asker, askerId, waiting, parts: [], timer });
      for (const slot of waiting)
        slot.worker?.send({ channel: CHANNEL, type: 'metrics-collect', id });
      if (waiting.size === 0) completeCollect(id);
    };

    const onWorkerMessage = (slot: Slot, worker: Worker, message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.type === 'metrics-request') startCollect(worker, message.id);
      if (message.type !== 'metrics-part') return;
      const collect = collects.get(message.id);
      if (collect === undefined || !collect.waiting.delete(slot)) return;
      if (message.snapshot !== null) {
        collect.parts.push({ worker: slot.number, snapshot: message.snapshot });
      }
      if (collect.waiting.size === 0) completeCollect(message.id);
    };

    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onReload);

    void (async () => {
      let port: number | undefined;
      cluster.once('listening', (_worker, address) => {
        port = address.port;
      });
      for (const slot of slots) {
        if (stopping) return;
        const ok = await fork(slot);
        if (ok) {
          everListened = true;
          continue;
        }
        if (stopping) return;
        // The first worker printed why (ERR_NO_STATUS_KEY, ERR_LISTEN_FAILED, ...) and exited;
        // a later one that fails is replaced like any worker that dies.
        if (slot.number === 1) {
          failed = true;
          stopAll('the first worker could not start');
          return;
        }
      }
      if (stopping) return;
      logger.info(
        { event: 'cluster_ready', workers: options.workers, port },
        `licensor-verify: ${options.workers} workers listening`,
      );
    })();
  });
}

/**
 * The worker's side: answers the primary's collects with `snapshot()` (null before its service
 * is up), and returns the function /metrics uses to get every worker's figures.
 */
export function joinCluster(
  snapshot: () => Promise<MetricSnapshot> | null,
  timeoutMs = 3_000,
): () => Promise<MetricPart[]> {
  const pending = new Map<number, (message: ClusterMessage) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.type === 'metrics-collect') {
      const { id } = message;
      const reply = (part: MetricSnapshot | null) =>
        process.send?.({ channel: CHANNEL, type: 'metrics-part', id, snapshot: part });
      // A snapshot that cannot be taken is an absent part: the scrape still shows the others.
      void Promise.resolve(snapshot()).then(reply, () => reply(null));
    } else if (message.type === 'metrics-result' || message.type === 'metrics-failed') {
      pending.get(message.id)?.(message);
    }
  });
  return () =>
    new Promise<MetricPart[]>((resolve, reject) => {
      const id = ++nextId;
      const fail = (why: string) => {
        pending.delete(id);
        clearTimeout(timer);
        reject(
          new MetricsUnavailableError(
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
        resolve(message.parts);
      });
      process.send?.({ channel: CHANNEL, type: 'metrics-request', id });
    });
}

/** This process's slot when it is a cluster worker, else undefined. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isSafeInteger(slot) && slot > 0 ? slot : undefined;
}
