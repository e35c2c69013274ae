// Entry point `@licensor/issuer/checks`: the store as the verify service may hold it. The object
// `openCheckStore` returns has the check role and nothing else (read a check view, record
// checks, load its own status keys, readiness and the store's log health); the adapter behind it is out of reach. It reads
// no license-purpose private key, writes no license, user or key, and refuses to open in a
// process that holds an issuing secret (LICENSOR_KEY_PASSPHRASE, or the PIN of the HSM that
// holds the license keys: LICENSOR_PKCS11_PIN or LICENSOR_PKCS11_PIN_FILE).

import { IssuingSecretExposedError } from './errors.js';
import { HSM_ENV } from './keys/pkcs11/config.js';
import type { CheckChainStore } from './store/chain-port.js';
import { openStore } from './store/open-store.js';
import type { CheckStore } from './store/ports.js';
import { loadStatusKeys } from './store/status-keys.js';

export { SettingInvalidError, StoreSchemaError, StoreUnavailableError } from './errors.js';
export { checkFailureOf, UNKNOWN_INSTALLATION } from './events/check-failures.js';
export type { CheckRecord, CheckView, DeclinedRequestView, KeysetRecord } from './records.js';
export type {
  ChainEvidence,
  ChainHead,
  ChainStore,
  CheckChainStore,
  ForkAction,
  ForkFilter,
  ForkRecord,
  ResolvedForkPolicy,
  RestoreMark,
} from './store/chain-port.js';
export { FORK_ACTIONS } from './store/chain-port.js';
export {
  type ChainAnswer,
  type ChainCheck,
  REANCHOR_REASON,
  stepChain,
} from './store/check-chain.js';
export type { CheckFailure } from './store/event-sources-port.js';
export type { KeysetReport, RevisionReport } from './store/key-usage-port.js';
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
export { checkStoreSettings, dataDirOf } from './store/open-store.js';
export type { CheckStore } from './store/ports.js';

export interface CheckStoreOptions {
  /** Folder of the SQLite file, and of plain status key files. Default `./.licensor-data`. */
  dataDir?: string;
  /** MongoDB connection string (the verify service's user: docs/deploying.md, its grants). */
  mongoUri?: string;
  mongoDbName?: string;
  /** Where secrets are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const ISSUING_SECRETS = ['LICENSOR_KEY_PASSPHRASE', HSM_ENV.pin, HSM_ENV.pinFile] as const;

/** The member names of a check store: the whole of what the verify service can call. */
export const CHECK_ROLE = [
  'chains',
  'getCheckView',
  'recordChecks',
  'recordCheckFailures',
  'loadStatusSigningKeys',
  'listKeysets',
  'recordKeysetReports',
  'recordRevisionReports',
  'listProductKeysets',
  'ping',
  'logHealth',
  'close',
] as const satisfies readonly (keyof CheckStore)[];

export async function openCheckStore(options: CheckStoreOptions = {}): Promise<CheckStore> {
  const env = options.env ?? process.env;
  // The issuing secrets: the license keys' passphrase, and the PIN of an HSM that holds them.
  for (const variable of ISSUING_SECRETS) {
    const value = env[variable];
    if (value !== undefined && value !== '') throw new IssuingSecretExposedError(variable);
  }
  const store = await openStore({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.mongoUri !== undefined ? { mongoUri: options.mongoUri } : {}),
    ...(options.mongoDbName !== undefined ? { mongoDbName: options.mongoDbName } : {}),
    prepare: false,
    // The verify service never makes a store: a folder without one (a typo) is named, not filled.
    create: false,
  });
  const statusSecret = env.LICENSOR_STATUS_KEY_PASSPHRASE;
  // Closures over the adapter: no property, prototype or method of this object leads to it.
  const { chains } = store;
  const chainRole: CheckChainStore = Object.freeze(
    Object.setPrototypeOf(
      {
        getChainHead: (installationId) => chains.getChainHead(installationId),
        putChainHead: (head, expectedVersion) => chains.putChainHead(head, expectedVersion),
        recordFork: (fork) => chains.recordFork(fork),
        getFork: (id) => chains.getFork(id),
        listForks: (filter) => chains.listForks(filter),
        getForkPolicy: (licenseId) => chains.getForkPolicy(licenseId),
        resolveForkPolicy: (licenseId) => chains.resolveForkPolicy(licenseId),
        admitNonce: (installationId, nonce, issuedAt, expiresAt, now) =>
          chains.admitNonce(installationId, nonce, issuedAt, expiresAt, now),
      } satisfies CheckChainStore,
      null,
    ) as CheckChainStore,
  );
  const checks: CheckStore = {
    chains: chainRole,
    getCheckView: (licenseId) => store.getCheckView(licenseId),
    recordChecks: (records) => store.recordChecks(records),
    recordCheckFailures: (failures) => store.recordCheckFailures(failures),
    loadStatusSigningKeys: (passphrase) =>
      loadStatusKeys(store, passphrase ?? (statusSecret === '' ? undefined : statusSecret)),
    listKeysets: (afterSeq) => store.listKeysets(afterSeq),
    recordKeysetReports: (reports) => store.recordKeysetReports(reports),
    recordRevisionReports: (reports) => store.recordRevisionReports(reports),
    listProductKeysets: (afterSeq) => store.listProductKeysets(afterSeq),
    ping: () => store.ping(),
    logHealth: () => store.logHealth(),
    close: () => store.close(),
  };
  return Object.freeze(Object.setPrototypeOf(checks, null) as CheckStore);
}
