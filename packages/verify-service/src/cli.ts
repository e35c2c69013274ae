#!/usr/bin/env node
// `licensor-verify serve`: the online check service as a process. Flags win over environment;
// exit codes follow the repo's CLI convention (0 ok, 1 refused, 2 usage).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import {
  type CliSpec,
  formatUsageError,
  isUsageError,
  parseCommandLine,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { scrapeTokenProblem } from '@licensor/http-errors';
import { dataDirOf } from '@licensor/issuer/checks';
import { isLicensorError } from '@licensor/token';
import { pino } from 'pino';
import { joinCluster, runClusterPrimary, workerSlot } from './cluster.js';
import { type ServingProcess, serve } from './serve.js';
import { VERIFY_SERVICE_VERSION } from './version.js';

/** The `licensor-verify` command line, as a spec of the CLI kit (help text included). */
export const VERIFY_CLI: CliSpec = {
  name: 'licensor-verify',
  version: VERIFY_SERVICE_VERSION,
  summary:
    "the online check service: answers license checks (POST /v1/checks) from the issuer's store.",
  commands: [
    {
      name: 'serve',
      summary: 'answer checks until stopped',
      details:
        'Flags win over the environment. Signals: SIGTERM/SIGINT stop gracefully (in-flight checks finish, every buffered check record is written); SIGKILL loses the records of the last --record-flush-ms (and, while the store is down, all buffered ones); SIGHUP reloads the status keys and the signed key sets from the store: send it after `licensor-issuer keys activate KID` of a status key to sign with that key (`keys rotate --use status` alone makes a next key, which signs nothing until it is activated), and after each rotate or revoke to relay the new key set at once.',
      options: {
        port: {
          type: 'string',
          value: 'P',
          help: 'port to listen on (env LICENSOR_VERIFY_PORT, default 4001)',
        },
        host: {
          type: 'string',
          value: 'H',
          help: 'address to bind (env LICENSOR_VERIFY_HOST, default 127.0.0.1; use 0.0.0.0 in a container behind a load balancer)',
        },
        data: {
          type: 'string',
          value: 'DIR',
          help: 'data folder of the issuer: its SQLite store, and its unsealed key files (env LICENSOR_DATA, default ./.licensor-data)',
        },
        'mongodb-uri': {
          type: 'string',
          value: 'U',
          help: 'use MongoDB as the store (env MONGODB_URI; takes precedence over the SQLite file)',
        },
        'trust-proxy': {
          type: 'boolean',
          help: 'rate-limit by the last X-Forwarded-For hop (env LICENSOR_TRUST_PROXY=1)',
        },
        'cache-ttl-ms': {
          type: 'string',
          value: 'N',
          help: 'license cache TTL = revocation bound (env LICENSOR_VERIFY_CACHE_TTL_MS, default 5000)',
        },
        'record-flush-ms': {
          type: 'string',
          value: 'N',
          help: 'write buffered check records at least this often: what a SIGKILL can lose (env LICENSOR_VERIFY_RECORD_FLUSH_MS, default 250)',
        },
        workers: {
          type: 'string',
          value: 'N',
          help: 'processes answering on the one port: a number, or auto for one per CPU (env LICENSOR_VERIFY_WORKERS, default 1)',
        },
        'log-level': {
          type: 'string',
          value: 'L',
          help: 'pino level (env LOG_LEVEL, default info)',
        },
      },
    },
  ],
  common: {
    json: { type: 'boolean', help: 'a refusal as {"error":{"code","message"}} on stdout' },
  },
  footer: `environment:
  LICENSOR_STATUS_KEY_PASSPHRASE  the status keys' passphrase; the service refuses to start when
                                  LICENSOR_KEY_PASSPHRASE (the issuing secret) is in its environment
  LICENSOR_METRICS_TOKEN          GET /metrics answers only Authorization: Bearer <it> (at least
                                  16 characters, one word); unset, it answers anyone

exit codes: 0 stopped, 1 refused (error: CODE: message), 2 usage error`,
};

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(VERIFY_CLI, argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    process.stderr.write(formatUsageError(VERIFY_CLI, error));
    return 2;
  }
  if (parsed.kind !== 'run') {
    process.stdout.write(parsed.text);
    return 0;
  }
  const values = parsed.values as {
    port?: string;
    host?: string;
    data?: string;
    'mongodb-uri'?: string;
    'trust-proxy'?: boolean;
    'cache-ttl-ms'?: string;
    'record-flush-ms'?: string;
    'log-level'?: string;
    workers?: string;
    json?: boolean;
  };
  const env = process.env;
  let port: number;
  let cacheTtl: number;
  let recordFlushMs: number;
  let workers: number;
  let metricsToken: string | null;
  try {
    port = wholeNumber(values.port ?? env.LICENSOR_VERIFY_PORT ?? '4001', '--port', {
      min: 0,
      max: 65_535,
    })!;
    cacheTtl = wholeNumber(
      values['cache-ttl-ms'] ?? env.LICENSOR_VERIFY_CACHE_TTL_MS ?? '5000',
      '--cache-ttl-ms',
      { min: 0 },
    )!;
    recordFlushMs = wholeNumber(
      values['record-flush-ms'] ?? env.LICENSOR_VERIFY_RECORD_FLUSH_MS ?? '250',
      '--record-flush-ms',
      { min: 10, max: 600_000 },
    )!;
    workers = workerCount(values.workers ?? env.LICENSOR_VERIFY_WORKERS ?? '1');
    metricsToken = env.LICENSOR_METRICS_TOKEN?.trim() || null;
    const tokenProblem = metricsToken === null ? null : scrapeTokenProblem(metricsToken);
    if (tokenProblem !== null) throw new UsageError(tokenProblem);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    error.command = 'serve';
    process.stderr.write(formatUsageError(VERIFY_CLI, error));
    return 2;
  }
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? 'info';
  if (workers > 1 && cluster.isPrimary) {
    const logger = pino({
      level: logLevel,
      base: { service: 'licensor-verify', role: 'primary', pid: process.pid },
    });
    return runClusterPrimary({ workers, logger });
  }
  // As for licensor-issuer and the portal: MONGODB_URI picks MongoDB, and the data folder is
  // still where unsealed key files live, so every process finds the same status key.
  const mongoUri = values['mongodb-uri'] ?? (env.MONGODB_URI || undefined);
  const dataDir = dataDirOf(values.data, env);
  const passphrase = env.LICENSOR_STATUS_KEY_PASSPHRASE;

  // Signals are handled from the start: a SIGTERM while the store opens stops the process
  // cleanly (nothing is recorded yet), a SIGHUP then is remembered, and a second SIGTERM (the
  // primary relays one a worker may also have had from its process group) is harmless.
  let running: ServingProcess | undefined;
  let stopping = false;
  let reloadWanted = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (running === undefined) process.exit(0);
    void running.shutdown(signal).then((unwritten) => process.exit(unwritten === 0 ? 0 : 1));
  };
  const reload = () => {
    const serving = running;
    if (serving === undefined) {
      reloadWanted = true;
      return;
    }
    serving.reloadStatusKeys().catch((error: unknown) => {
      serving.logger.error(
        { err: error },
        'reloading the status keys failed; still signing with the old key',
      );
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', reload);
  // A cluster worker's /metrics shows every worker's series.
  const worker = workerSlot();
  const aggregateMetrics = cluster.isWorker
    ? joinCluster(() => running?.service.metricsSnapshot() ?? null)
    : undefined;
  try {
    running = await serve({
      port,
      host: values.host ?? env.LICENSOR_VERIFY_HOST ?? '127.0.0.1',
      dataDir,
      ...(mongoUri ? { mongoUri } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      logLevel,
      ...(worker !== undefined ? { worker } : {}),
      ...(aggregateMetrics !== undefined ? { aggregateMetrics } : {}),
      metricsToken,
      config: {
        viewCacheTtlMs: cacheTtl,
        recordFlushIntervalMs: recordFlushMs,
        trustProxy: values['trust-proxy'] === true || env.LICENSOR_TRUST_PROXY === '1',
      },
    });
    const serving = running;
    // A bug must not leave a half-working process: log it, then exit for the supervisor to restart.
    process.on('uncaughtException', (error) => {
      serving.fatal(error, 'uncaught exception; exiting');
      process.exit(1);
    });
    if (reloadWanted) reload();
    return -1;
  } catch (error) {
    const refuse = (code: string, message: string) => {
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
      } else {
        process.stderr.write(`error: ${code}: ${message}\n`);
      }
      return 1;
    };
    if (isLicensorError(error)) return refuse(error.code, error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      return refuse(
        'ERR_LISTEN_FAILED',
        `Cannot listen on port ${port} (${code}); pick another --port.`,
      );
    }
    throw error;
  }
}

function workerCount(text: string): number {
  // One per CPU the process may run on (cgroup CPU quotas are not seen: set N in a container).
  if (text === 'auto') return Math.min(256, availableParallelism());
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 256) {
    throw new UsageError(`--workers must be a whole number from 1 to 256, or auto; got "${text}"`);
  }
  return Number(text);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code < 0) return; // serving
    // A cluster worker's IPC channel would keep it alive: a refused start must end it.
    if (cluster.isWorker) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ERR_INTERNAL: ${(error as Error).stack ?? String(error)}\n`);
    if (cluster.isWorker) process.exit(1);
    process.exitCode = 1;
  },
);
