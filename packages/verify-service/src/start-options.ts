// What `licensor-verify serve` is started with: its flags and the environment, checked before
// anything opens. Flags win over the environment. An environment variable set to the empty
// string counts as unset (`LICENSOR_VERIFY_HOST=` in a unit file or a compose file is a
// variable left blank, not a request to bind every interface); a flag given an empty value is a
// usage error. Every refusal is a UsageError (exit 2) naming the flag or the variable as the
// operator gave it, what it takes and what it was given.
import { availableParallelism } from 'node:os';
import { UsageError, wholeNumber } from '@licensor/cli-kit';
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

/** pino's levels, the most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Spellings other tooling gives LOG_LEVEL (syslog, Python, Java), read as pino's level. */
const LOG_LEVEL_SYNONYMS: Readonly<Record<string, LogLevel>> = { warning: 'warn' };

/**
 * A log level: pino's names in any case, and `warning` for `warn`. Anything else is a usage
 * error naming the levels.
 */
export function logLevelOf(text: string, name: string): LogLevel {
  const lower = text.trim().toLowerCase();
  const level = (LOG_LEVELS as readonly string[]).includes(lower)
    ? (lower as LogLevel)
    : LOG_LEVEL_SYNONYMS[lower];
  if (level === undefined) {
    throw new UsageError(
      `${name} must be one of ${LOG_LEVELS.join(', ')} (any case; warning = warn); got "${text}"`,
    );
  }
  return level;
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/** A yes/no variable: 1/true/yes/on or 0/false/no/off, in any case. */
export function switchOf(text: string, name: string): boolean {
  const lower = text.trim().toLowerCase();
  if (TRUE_WORDS.includes(lower)) return true;
  if (FALSE_WORDS.includes(lower)) return false;
  throw new UsageError(
    `${name} must be ${TRUE_WORDS.join(', ')} (on) or ${FALSE_WORDS.join(', ')} (off); got "${text}"`,
  );
}

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

/**
 * The value of a setting and the name to blame for it: the flag when given (empty is refused),
 * else the variable when set to something (empty counts as unset), else undefined.
 */
function pick(
  flags: ServeFlags,
  flag: keyof ServeFlags,
  env: Record<string, string | undefined>,
  variable: string,
): { value: string; name: string } | undefined {
  const given = flags[flag];
  if (typeof given === 'string') {
    if (given.trim() === '') {
      throw new UsageError(`--${flag} must not be empty; leave it out for the default`);
    }
    return { value: given, name: `--${flag}` };
  }
  const fromEnv = env[variable];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  return { value: fromEnv, name: variable };
}

function hostOf(setting: { value: string; name: string } | undefined): string {
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
  setting: { value: string; name: string } | undefined,
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
  const port = number(pick(flags, 'port', env, 'LICENSOR_VERIFY_PORT'), 4001, {
    min: 0,
    max: 65_535,
  });
  const host = hostOf(pick(flags, 'host', env, 'LICENSOR_VERIFY_HOST'));
  const cacheTtlMs = number(
    pick(flags, 'cache-ttl-ms', env, 'LICENSOR_VERIFY_CACHE_TTL_MS'),
    5000,
    {
      min: 0,
      max: MAX_CACHE_TTL_MS,
    },
  );
  const recordFlushMs = number(
    pick(flags, 'record-flush-ms', env, 'LICENSOR_VERIFY_RECORD_FLUSH_MS'),
    250,
    { min: 10, max: 600_000 },
  );
  const workersSetting = pick(flags, 'workers', env, 'LICENSOR_VERIFY_WORKERS');
  const workers =
    workersSetting === undefined ? 1 : workerCountOf(workersSetting.value, workersSetting.name);
  const levelSetting = pick(flags, 'log-level', env, 'LOG_LEVEL');
  const logLevel =
    levelSetting === undefined ? 'info' : logLevelOf(levelSetting.value, levelSetting.name);
  // Checked even when the flag is given: a wrong value is a mistake either way.
  const trustProxyEnv = env.LICENSOR_TRUST_PROXY;
  const trustProxyFromEnv =
    trustProxyEnv !== undefined &&
    trustProxyEnv !== '' &&
    switchOf(trustProxyEnv, 'LICENSOR_TRUST_PROXY');
  const trustProxy = flags['trust-proxy'] === true || trustProxyFromEnv;
  const data = pick(flags, 'data', env, 'LICENSOR_DATA')?.value;
  const mongoUri = pick(flags, 'mongodb-uri', env, 'MONGODB_URI')?.value;
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
