// What `licensor-verify serve` is started with: its flags and the environment, checked before
// anything opens. Flags win over the environment. An environment variable set to the empty
// string counts as unset (`LICENSOR_VERIFY_HOST=` in a unit file or a compose file is a
// variable left blank, not a request to bind every interface); a flag given an empty value is a
// usage error. Every refusal is a UsageError (exit 2) naming the flag or the variable as the
// operator gave it, what it takes and what it was given.
import { availableParallelism } from 'node:os';
import {
  type LogLevel,
  logLevelValue,
  pickSetting,
  type Setting,
  switchSetting,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { scrapeTokenSetting } from '@licensor/http-errors';
import { checkStoreSettings } from '@licensor/issuer/checks';

/** The flags of `serve` as the command-line parser returns them. */
export interface ServeFlags {
  port?: string;
  host?: string;
  data?: string;
  'mongodb-uri'?: string;
  'trust-proxy'?: boolean;
  'cache-ttl-ms'?: string;
  'record-flush-ms'?: string;
  'log-level'?: string;
  workers?: string;
}

export interface StartOptions {
  port: number;
  host: string;
  /** The data folder as given (`--data`, else LICENSOR_DATA), or undefined for the default. */
  data: string | undefined;
  mongoUri: string | undefined;
  trustProxy: boolean;
  cacheTtlMs: number;
  recordFlushMs: number;
  workers: number;
  logLevel: LogLevel;
  metricsToken: string | null;
  passphrase: string | undefined;
}

/**
 * The longest license cache the service accepts (ms): the cache's TTL is the revocation bound
 * (README, Bounds and guarantees), and a bound of a minute is already twelve times the default.
 */
export const MAX_CACHE_TTL_MS = 60_000;

/** `--workers`: a number of processes from 1 to 256, or `auto` (one per CPU). */
export function workerCountOf(text: string, name: string): number {
  // One per CPU the process may run on (cgroup CPU quotas are not seen: set N in a container).
  if (text === 'auto') return Math.min(256, availableParallelism());
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 256) {
    throw new UsageError(`${name} must be a whole number from 1 to 256, or auto; got "${text}"`);
  }
  return Number(text);
}

/**
 * The scrape token (LICENSOR_METRICS_TOKEN): blank is refused here, the rest by the shared rule
 * of @licensor/http-errors (one word of printable ASCII, at least 16 characters).
 */
function metricsTokenOf(raw: string | undefined): string | null {
  const { token, problem } = scrapeTokenSetting(raw, 'leave GET /metrics open');
  if (problem !== null) throw new UsageError(problem);
  return token;
}

function hostOf(setting: Setting | undefined): string {
  if (setting === undefined) return '127.0.0.1';
  const host = setting.value.trim();
  if (host === '' || /\s/.test(host)) {
    throw new UsageError(
      `${setting.name} must be one address or host name, e.g. 127.0.0.1 (the default) or 0.0.0.0 for every interface; got "${setting.value}"`,
    );
  }
  return host;
}

function number(
  setting: Setting | undefined,
  fallback: number,
  range: { min: number; max?: number },
): number {
  if (setting === undefined) return fallback;
  return wholeNumber(setting.value, setting.name, range)!;
}

/** Reads and checks every setting of `serve`; throws a UsageError on the first wrong one. */
export function readStartOptions(
  flags: ServeFlags,
  env: Record<string, string | undefined>,
): StartOptions {
  const pick = (flag: keyof ServeFlags, variable: string): Setting | undefined =>
    pickSetting(flags as Readonly<Record<string, unknown>>, flag, env, variable);
  const port = number(pick('port', 'LICENSOR_VERIFY_PORT'), 4001, {
    min: 0,
    max: 65_535,
  });
  const host = hostOf(pick('host', 'LICENSOR_VERIFY_HOST'));
  const cacheTtlMs = number(pick('cache-ttl-ms', 'LICENSOR_VERIFY_CACHE_TTL_MS'), 5000, {
    min: 0,
    max: MAX_CACHE_TTL_MS,
  });
  const recordFlushMs = number(pick('record-flush-ms', 'LICENSOR_VERIFY_RECORD_FLUSH_MS'), 250, {
    min: 10,
    max: 600_000,
  });
  const workersSetting = pick('workers', 'LICENSOR_VERIFY_WORKERS');
  const workers =
    workersSetting === undefined ? 1 : workerCountOf(workersSetting.value, workersSetting.name);
  const levelSetting = pick('log-level', 'LOG_LEVEL');
  const logLevel =
    levelSetting === undefined ? 'info' : logLevelValue(levelSetting.value, levelSetting.name);
  // Checked even when the flag is given: a wrong value is a mistake either way.
  const trustProxyFromEnv = switchSetting(env, 'LICENSOR_TRUST_PROXY', false);
  const trustProxy = flags['trust-proxy'] === true || trustProxyFromEnv;
  const data = pick('data', 'LICENSOR_DATA')?.value;
  const mongoUri = pick('mongodb-uri', 'MONGODB_URI')?.value;
  const metricsToken = metricsTokenOf(env.LICENSOR_METRICS_TOKEN);
  // The SQLite store's own settings, checked now rather than when the store opens (a worker's
  // refusal then would be an exit 1 after the start had begun).
  try {
    checkStoreSettings(env);
  } catch (error) {
    if ((error as { setting?: unknown }).setting === true) {
      throw new UsageError((error as Error).message);
    }
    throw error;
  }
  const passphrase = env.LICENSOR_STATUS_KEY_PASSPHRASE;
  return {
    port,
    host,
    data,
    mongoUri,
    trustProxy,
    cacheTtlMs,
    recordFlushMs,
    workers,
    logLevel,
    metricsToken,
    passphrase: passphrase === '' ? undefined : passphrase,
  };
}
