// Entry point `@licensor/issuer/store`: the shared store and nothing of the issuing code. The
// verify service imports only this; it reaches status keys through `loadStatusSigningKeys` and
// never loads a license-purpose private key.

export { StoreSchemaError, StoreUnavailableError } from './errors.js';
export type { CheckRecord, CheckView } from './records.js';
export {
  type LogFault,
  type LogHealth,
  type LogHealthLogger,
  type LogHealthMetric,
  type LogHealthWatch,
  logHealthMetrics,
  type PromClasses,
  registerLogHealthMetrics,
  type ServerManagedLog,
  type SqliteLogHealth,
  watchLogHealth,
} from './store/log-health.js';
/** How often a MongoDB store without TTL indexes purges expired nonces (every Nth admission). */
export { MONGO_NONCE_PURGE_EVERY } from './store/mongo/chains.js';
export {
  DEFAULT_DATA_DIR,
  dataDirOf,
  type OpenStoreOptions,
  openStore,
} from './store/open-store.js';
export type { CheckStore, LicensorStore, StoreOptions } from './store/ports.js';
