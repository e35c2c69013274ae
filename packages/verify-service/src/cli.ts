#!/usr/bin/env node
// `licensor-verify serve`: the online check service as a process. Flags win over environment;
// exit codes follow the repo's CLI convention (0 ok, 1 refused, 2 usage).
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import {
  type CliSpec,
  formatUsageError,
  isUsageError,
  parseCommandLine,
  type UsageError,
} from '@licensor/cli-kit';
import { dataDirOf } from '@licensor/issuer/checks';
import { pino } from 'pino';
import { joinCluster, runClusterPrimary, workerSlot } from './cluster.js';
import { type ServingProcess, serve } from './serve.js';
import { readStartOptions, type ServeFlags, type StartOptions } from './start-options.js';
import { startRefusal } from './start-refusal.js';
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
          help: 'rate-limit by the last X-Forwarded-For hop (env LICENSOR_TRUST_PROXY: 1, true, yes or on; 0, false, no or off)',
        },
        'cache-ttl-ms': {
          type: 'string',
          value: 'N',
          help: 'license cache TTL = revocation bound, 0 to 60000 (env LICENSOR_VERIFY_CACHE_TTL_MS, default 5000)',
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
          help: 'fatal, error, warn, info, debug, trace or silent, in any case; warning = warn (env LOG_LEVEL, default info)',
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
                                  16 printable ASCII characters, one word); unset, it answers anyone

An environment variable set to the empty string counts as unset; a flag given an empty value is
a usage error.

exit codes: 0 stopped, 1 refused (error: CODE: message), 2 usage error`,
};

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(VERIFY_CLI, argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    usageError(error, argv.includes('--json'));
    return 2;
  }
  if (parsed.kind !== 'run') {
    process.stdout.write(parsed.text);
    return 0;
  }
  const values = parsed.values as ServeFlags & { json?: boolean };
  let options: StartOptions;
  try {
    options = readStartOptions(values, process.env);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    error.command = 'serve';
    usageError(error, values.json === true);
    return 2;
  }
  const { port, host, logLevel } = options;
  if (options.workers > 1 && cluster.isPrimary) {
    const logger = pino({
      level: logLevel,
      base: { service: 'licensor-verify', role: 'primary', pid: process.pid },
    });
    return runClusterPrimary({ workers: options.workers, logger });
  }
  // As for licensor-issuer and the portal: MONGODB_URI picks MongoDB, and the data folder is
  // still where unsealed key files live, so every process finds the same status key.
  const mongoUri = options.mongoUri;
  const dataDir = dataDirOf(options.data, {});
  const passphrase = options.passphrase;

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
      host,
      dataDir,
      ...(mongoUri ? { mongoUri } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      logLevel,
      ...(worker !== undefined ? { worker } : {}),
      ...(aggregateMetrics !== undefined ? { aggregateMetrics } : {}),
      metricsToken: options.metricsToken,
      config: {
        viewCacheTtlMs: options.cacheTtlMs,
        recordFlushIntervalMs: options.recordFlushMs,
        trustProxy: options.trustProxy,
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
    const refusal = startRefusal(error, {
      dataDir: resolve(dataDir),
      mongo: mongoUri !== undefined,
    });
    if (refusal === null) throw error;
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify({ error: refusal })}\n`);
    } else {
      process.stderr.write(`error: ${refusal.code}: ${refusal.message}\n`);
    }
    return 1;
  }
}

/** A usage error (exit 2): on stderr, or as JSON on stdout with --json like every refusal. */
function usageError(error: UsageError, asJson: boolean): void {
  const text = formatUsageError(VERIFY_CLI, error, asJson);
  if (asJson) process.stdout.write(text);
  else process.stderr.write(text);
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
