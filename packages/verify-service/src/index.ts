// Public surface of @licensor/verify-service: the service (for embedding and tests), the server
// (for running it), and the error codes and helpers callers map answers with.
export type { CheckAnswer } from './check/answer-check.js';
export { decideCheckBy, decideOutcome } from './check/decide-outcome.js';
export {
  type ClusterOptions,
  joinCluster,
  runClusterPrimary,
  WORKER_V8_FLAGS,
  workerExecArgv,
} from './cluster.js';
export { defaultConfig, type RateLimit, resolveConfig, type VerifyConfig } from './config.js';
export {
  codeToStatus,
  type ErrorBody,
  RateLimitedError,
  SERVICE_ERROR_CODES,
  type ServiceErrorCode,
  toErrorBody,
  VerifyServiceError,
} from './errors.js';
export {
  type MetricPart,
  type MetricSnapshot,
  renderMetrics,
  VerifyMetrics,
} from './metrics.js';
export { type ServeOptions, type ServingProcess, serve } from './serve.js';
export { type ListenOptions, type RunningVerifyServer, startVerifyServer } from './server.js';
export {
  createVerifyApp,
  createVerifyService,
  type VerifyService,
  type VerifyServiceDeps,
} from './service.js';
export type { CheckRecord, CheckStore, CheckView } from './store-port.js';
