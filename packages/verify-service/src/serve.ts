// Runs the service as a process: opens the shared store (SQLite under a data folder, or MongoDB),
// loads the status signing keys (and only those), listens, and on SIGTERM/SIGINT stops
// gracefully: finish in-flight checks, write every buffered check record, close the store,
// flush the log.
import { resolve } from 'node:path';
import { dataDirOf, openCheckStore } from '@licensor/issuer/checks';
import type { Ed25519KeyPair } from '@licensor/token';
import { type Logger, pino } from 'pino';
import type { VerifyConfig } from './config.js';
import { NoStatusKeyError } from './errors.js';
import { type RunningVerifyServer, startVerifyServer } from './server.js';
import { createVerifyService, type VerifyService, type VerifyServiceDeps } from './service.js';
import { listenFailure } from './start-refusal.js';
import type { CheckStore } from './store-port.js';

/** What `serve` needs from `@licensor/issuer/checks`'s openCheckStore (contract §3). */
export type OpenStore = (options: {
  dataDir?: string;
  mongoUri?: string;
}) => Promise<
  CheckStore & { loadStatusSigningKeys(passphrase?: string): Promise<Ed25519KeyPair[]> }
>;

export interface ServeOptions {
  port: number;
  host: string;
  dataDir?: string;
  mongoUri?: string;
  /** Opens the status keys; default env LICENSOR_STATUS_KEY_PASSPHRASE. */
  passphrase?: string;
  logLevel?: string;
  config?: Partial<VerifyConfig>;
  /** Milliseconds allowed for in-flight checks and the last record writes on shutdown. */
  graceMs?: number;
  /** Opens the store; default `@licensor/issuer/checks`'s openCheckStore (the check role only). */
  openStore?: OpenStore;
  /** In a cluster: this worker's slot, on every log line. */
  worker?: number;
  /** In a cluster worker: gathers every worker's metrics for /metrics (see cluster.ts). */
  aggregateMetrics?: VerifyServiceDeps['aggregateMetrics'];
  /** LICENSOR_METRICS_TOKEN: GET /metrics answers only a scrape carrying it. */
  metricsToken?: string | null;
}

export interface ServingProcess {
  readonly service: VerifyService;
  readonly server: RunningVerifyServer;
  readonly logger: Logger;
  /** Stops everything; resolves with the number of check records left unwritten. */
  shutdown(reason: string): Promise<number>;
  /**
   * Reloads the status keys and the signed key sets from the store (SIGHUP): sign with a rotated
   * key, and relay the key set version that announced it, without a restart.
   */
  reloadStatusKeys(): Promise<void>;
  /** Logs a fatal error and writes the log buffer synchronously (before a forced exit). */
  fatal(error: unknown, message: string): void;
}

/**
 * Whether only this machine reaches the address: /metrics without a token is not worth a warning
 * there (127.0.0.0/8, ::1, its IPv4-mapped forms, localhost).
 */
export function isLoopbackHost(host: string): boolean {
  const address = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (address === 'localhost' || address === '::1' || address === '0:0:0:0:0:0:0:1') return true;
  const ipv4 = address.replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4);
}

/** Log lines wait until this many bytes gather, or LOG_FLUSH_MS passed, then go in one write. */
export const LOG_BLOCK_BYTES = 4000;
/** The longest a log line waits before it is written (ms). */
export const LOG_FLUSH_MS = 200;

/** A store without a status key: say which store was opened, and to check that first. */
function noStatusKey(options: ServeOptions): NoStatusKeyError {
  if (options.mongoUri !== undefined) {
    return new NoStatusKeyError(
      "The MongoDB store (--mongodb-uri, or MONGODB_URI) holds no status signing key: check that the URI names the issuer's database; if it does, run `licensor-issuer init` on it first.",
    );
  }
  const dataDir = resolve(dataDirOf(options.dataDir, {}));
  return new NoStatusKeyError(
    `The store in ${dataDir} holds no status signing key: check that --data (or LICENSOR_DATA) names the issuer's data folder, or that MONGODB_URI is set for a MongoDB store; if it is the right folder, run \`licensor-issuer --data ${dataDir} init\` first.`,
  );
}

export async function serve(options: ServeOptions): Promise<ServingProcess> {
  // Log lines are written asynchronously, in blocks: lines gather until about 4 KB wait (or
  // LOG_FLUSH_MS passed) and go in one write. Each write is a job for libuv's thread pool, and
  // waking a pool thread costs the event loop about 30 µs on a VM: a write per check line was 6%
  // of the main thread at 10 connections (#15.5). A fatal error writes what waits synchronously.
  // Cluster workers share one stdout pipe: writes of at most PIPE_BUF (4096) bytes are atomic,
  // and sonic-boom cuts only between lines, so two workers' lines never splice.
  const destination = pino.destination({
    dest: 1,
    sync: false,
    minLength: LOG_BLOCK_BYTES,
    periodicFlush: LOG_FLUSH_MS,
    ...(options.worker !== undefined ? { maxWrite: 4096 } : {}),
  });
  const logger = pino(
    {
      level: options.logLevel ?? 'info',
      base: {
        service: 'licensor-verify',
        pid: process.pid,
        ...(options.worker !== undefined ? { worker: options.worker } : {}),
      },
    },
    destination,
  );
  const store = await (options.openStore ?? openCheckStore)({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.mongoUri !== undefined ? { mongoUri: options.mongoUri } : {}),
  });
  let service: VerifyService;
  let server: RunningVerifyServer;
  try {
    const statusKeys = await store.loadStatusSigningKeys(options.passphrase);
    if (statusKeys.length === 0) throw noStatusKey(options);
    service = createVerifyService({
      store,
      statusKeys,
      logger,
      ...(options.worker !== undefined ? { worker: options.worker } : {}),
      ...(options.config !== undefined ? { config: options.config } : {}),
      ...(options.aggregateMetrics !== undefined
        ? { aggregateMetrics: options.aggregateMetrics }
        : {}),
      metricsToken: options.metricsToken ?? null,
    });
    try {
      server = await startVerifyServer(service, { port: options.port, host: options.host });
    } catch (error) {
      // The service started its timers and its recorder (nothing recorded yet): stop them too.
      await service.drain(Date.now());
      throw listenFailure(error, options.host, options.port);
    }
    // Once per service: a cluster's first worker says it for all.
    const first = options.worker === undefined || options.worker === 1;
    if (first && (options.metricsToken ?? null) === null && !isLoopbackHost(options.host)) {
      logger.warn(
        { event: 'metrics_open', host: options.host },
        'GET /metrics answers anyone who reaches this port: route only /v1/checks to it from the internet (docs/deploying.md), or set LICENSOR_METRICS_TOKEN',
      );
    }
  } catch (error) {
    await store.close().catch(() => undefined);
    destination.flushSync();
    throw error;
  }
  logger.info(
    { event: 'listening', url: server.url, store: options.mongoUri ? 'mongodb' : 'sqlite' },
    'licensor-verify listening',
  );

  let stopping: Promise<number> | null = null;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      logger.info({ event: 'stopping', reason }, 'licensor-verify stopping');
      const unwritten = await server.stop(options.graceMs ?? 10_000);
      await store.close().catch((err: unknown) => logger.warn({ err }, 'closing the store failed'));
      logger.info(
        { event: 'stopped', unwritten, recordsWritten: service.recorder.flushed },
        'licensor-verify stopped',
      );
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      return unwritten;
    })();
    return stopping;
  };
  const reloadStatusKeys = async () => {
    const keys = await store.loadStatusSigningKeys(options.passphrase);
    service.setStatusKeys(keys);
    // A key change publishes a new key set version: relay it from now on, not at the next read.
    await service.keysets.refresh();
    logger.info(
      { event: 'status_keys_reloaded', kid: keys[0]?.kid, keyset: service.keysets.newest },
      'status keys reloaded',
    );
  };
  const fatal = (error: unknown, message: string) => {
    // The process exits next: the check records still buffered go into this line, whole.
    const records = service.recorder.takeBuffered();
    logger.fatal({ err: error, unwrittenCheckRecords: records }, message);
    destination.flushSync();
  };
  return { service, server, logger, shutdown, reloadStatusKeys, fatal };
}
