// Wires the service from its dependencies: a store (the narrow port of contract §3), the status
// signing keys, a clock and a logger. `createVerifyService` gives the parts a server needs (the
// lean request listener, shutdown); `createVerifyApp` gives the express app alone, for supertest
// and for embedding in another express app.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { scrapeTokenProblem } from '@licensor/http-errors';
import { watchLogHealth } from '@licensor/issuer/checks';
import type { Ed25519KeyPair } from '@licensor/token';
import type { Express } from 'express';
import { type Logger, pino } from 'pino';
import { createAnswerCheck } from './check/answer-check.js';
import { createDecoyVerification } from './check/decoy-verification.js';
import { resolveConfig, type VerifyConfig } from './config.js';
import { NoStatusKeyError, ServiceStoppingError, storeUnavailable } from './errors.js';
import { buildExpressApp } from './http/app.js';
import { createCheckRoute } from './http/check-route.js';
import { RefusalLog } from './http/refusal-log.js';
import { type MetricPart, type MetricSnapshot, renderMetrics, VerifyMetrics } from './metrics.js';
import { CheckFailureReporter } from './state/check-failures.js';
import { CheckRecorder } from './state/check-recorder.js';
import { KeysetRelay } from './state/keyset-relay.js';
import { recordingKeysetReports } from './state/keyset-reports.js';
import { RateLimiter } from './state/rate-limiter.js';
import { ReplayGuard } from './state/replay-guard.js';
import { recordingRevisionReports } from './state/revision-reports.js';
import { ViewCache, withTimeout } from './state/view-cache.js';
import type { CheckStore } from './store-port.js';

/** The license id /readyz reads: none has it (ids are `lic_` and 22 base64url characters). */
export const READINESS_PROBE_ID = 'lic_readiness-probe';

export interface VerifyServiceDeps {
  store: CheckStore;
  /** Status-purpose keys, the active one first (what `loadStatusSigningKeys` returns). */
  statusKeys: readonly Ed25519KeyPair[];
  logger?: Logger;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  config?: Partial<VerifyConfig>;
  /**
   * In a cluster (`--workers N`): every worker's snapshot, each with its slot, so that /metrics
   * on any worker shows the whole service. Default: this process's alone.
   */
  aggregateMetrics?: () => Promise<MetricPart[]>;
  /** In a cluster: this worker's slot, which labels its metric series (`worker="2"`). */
  worker?: number;
  /**
   * GET /metrics answers only `Authorization: Bearer <metricsToken>` (LICENSOR_METRICS_TOKEN, at
   * least 16 characters, one word; otherwise a TypeError). Unset: it answers anyone.
   */
  metricsToken?: string | null;
}

export interface VerifyService {
  readonly app: Express;
  /** node:http listener: POST /v1/checks straight to the check route, the rest to `app`. */
  readonly listener: RequestListener;
  readonly config: VerifyConfig;
  readonly metrics: VerifyMetrics;
  readonly recorder: CheckRecorder;
  /** Records refused checks for check.failed (null when the store has no such write). */
  readonly failures: CheckFailureReporter | null;
  readonly views: ViewCache;
  /** The vendor's signed key sets this process relays with statuses. */
  readonly keysets: KeysetRelay;
  /** Prometheus text of this process's current metrics. */
  metricsText(): Promise<string>;
  /** This process's current metrics as data (what a cluster's scrape gathers). */
  metricsSnapshot(): Promise<MetricSnapshot>;
  /** Signs with the first of `keys` from now on (after `licensor-issuer keys activate` of a status key). */
  setStatusKeys(keys: readonly Ed25519KeyPair[]): void;
  /** Marks the service as stopping: /readyz answers 503, answers carry `Connection: close`. */
  beginShutdown(): void;
  /** Writes the buffered check records (until `deadlineMs`); returns how many were left. */
  drain(deadlineMs: number): Promise<number>;
}

export function createVerifyService(deps: VerifyServiceDeps): VerifyService {
  // Refused before anything starts (timers, the recorder, the log-health watch).
  const metricsToken = deps.metricsToken ?? null;
  const tokenProblem = metricsToken === null ? null : scrapeTokenProblem(metricsToken);
  if (tokenProblem !== null) throw new TypeError(`the scrape token: ${tokenProblem}`);
  let statusKey = activeKey(deps.statusKeys);
  const config = resolveConfig(deps.config);
  const logger = deps.logger ?? pino({ level: 'info' });
  const now = deps.now ?? Date.now;
  const { store } = deps;
  let stopping = false;

  const views = new ViewCache(store, {
    ttlMs: config.viewCacheTtlMs,
    maxEntries: config.viewCacheSize,
    storeTimeoutMs: config.storeTimeoutMs,
  });
  const replay = new ReplayGuard({
    capacity: config.replayCacheSize,
    windowSeconds: config.checkWindowSeconds,
  });
  const recorder = new CheckRecorder(
    recordingRevisionReports(recordingKeysetReports(store, logger, now), store, logger, now),
    {
      batchSize: config.recordBatchSize,
      flushIntervalMs: config.recordFlushIntervalMs,
      bufferLimit: config.recordBufferLimit,
      writeTimeoutMs: Math.max(config.storeTimeoutMs, 5_000),
      now,
    },
    logger,
  );
  recorder.start();
  const keysets = new KeysetRelay(store, logger);
  void keysets.refresh();
  const keysetRefresh = setInterval(() => void keysets.refresh(), config.keysetRefreshMs);
  keysetRefresh.unref();
  const recordFailures = store.recordCheckFailures?.bind(store);
  const failures =
    recordFailures === undefined ? null : new CheckFailureReporter(recordFailures, logger);
  // The store's log health on /metrics, and a failed checkpoint in the warn log (once).
  const logHealth = store.logHealth?.bind(store);
  const metrics = new VerifyMetrics(
    { recorder, views, replay, ...(logHealth === undefined ? {} : { store: { logHealth } }) },
    deps.worker !== undefined ? { worker: deps.worker } : {},
  );
  const logWatch = logHealth === undefined ? null : watchLogHealth(logHealth, logger);

  const answerCheck = createAnswerCheck({
    views,
    replay,
    perInstallation: new RateLimiter(config.rateLimitPerInstallation),
    record: (record) => recorder.add(record),
    nonceStored: (seconds) => metrics.observeNonceStored(seconds),
    ...(failures === null ? {} : { refused: (refused) => failures.report(refused) }),
    statusKey: () => statusKey,
    keysets: (trusted, product) => keysets.relayFor(trusted, product),
    decoyVerification: createDecoyVerification(),
    windowSeconds: config.checkWindowSeconds,
    checkIntervalSeconds: config.checkIntervalSeconds,
    chains: store.chains,
    forkAction: config.forkAction,
    offClockNonceHoldSeconds: config.offClockNonceHoldSeconds,
    storeTimeoutMs: config.storeTimeoutMs,
  });

  const refusals = new RefusalLog(logger, {
    intervalMs: config.refusalLogIntervalMs,
    maxClients: 10_000,
  });
  const refusalSweep = setInterval(() => refusals.sweep(now()), config.refusalLogIntervalMs);
  refusalSweep.unref();

  const checkRoute = createCheckRoute({
    answerCheck,
    perIp: new RateLimiter(config.rateLimitPerIp),
    metrics,
    logger,
    now,
    maxBodyBytes: config.maxBodyBytes,
    trustProxy: config.trustProxy,
    logChecks: config.logChecks,
    refusals,
    stopping: () => stopping,
  });

  const metricsSnapshot = () => metrics.snapshot();
  const metricsText = () => metrics.render();

  const { aggregateMetrics } = deps;
  const app = buildExpressApp({
    checkRoute,
    metricsToken,
    metricsText:
      aggregateMetrics === undefined
        ? metricsText
        : async () => renderMetrics(await aggregateMetrics()),
    logger,
    ready: async () => {
      if (stopping) {
        throw new ServiceStoppingError('The service is shutting down.');
      }
      // Ready means a check could be answered: read what a check reads (the license record,
      // here of an id no license has), not a bare ping that a store without its tables passes.
      try {
        await withTimeout(store.getCheckView(READINESS_PROBE_ID), config.storeTimeoutMs);
      } catch (cause) {
        throw storeUnavailable(cause);
      }
    },
  });

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && (req.url === '/v1/checks' || req.url?.startsWith('/v1/checks?'))) {
      checkRoute(req, res);
    } else {
      app(req, res);
    }
  };

  return {
    app,
    listener,
    config,
    metrics,
    recorder,
    failures,
    views,
    keysets,
    metricsText,
    metricsSnapshot,
    beginShutdown: () => {
      stopping = true;
    },
    setStatusKeys: (keys) => {
      statusKey = activeKey(keys);
    },
    drain: async (deadlineMs) => {
      clearInterval(refusalSweep);
      clearInterval(keysetRefresh);
      logWatch?.stop();
      refusals.sweep(Number.POSITIVE_INFINITY);
      const left = await recorder.drain(deadlineMs);
      await failures?.settle();
      return left;
    },
  };
}

function activeKey(keys: readonly Ed25519KeyPair[]): Ed25519KeyPair {
  const key = keys[0];
  if (key === undefined) {
    throw new NoStatusKeyError(
      "The store holds no status signing key: check that it is the issuer's store (its data folder, or its MongoDB database); if it is, run `licensor-issuer init` on it first.",
    );
  }
  return key;
}

/** The express app of a new service (POST /v1/checks included). */
export function createVerifyApp(deps: VerifyServiceDeps): Express {
  return createVerifyService(deps).app;
}
