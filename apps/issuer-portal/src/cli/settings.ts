// What `licensor-portal serve` is started with: its options and every environment variable it
// reads, checked here before anything is opened, so a wrong one exits 2 and touches nothing.
// Options win over the environment. A variable set to the empty string counts as unset (a
// variable left blank in a unit file or a compose file); an option given an empty value is a
// usage error. Switches take on/off, true/false, yes/no, 1/0 in any case; anything else is
// refused naming what the setting takes, never read as its default. Every refusal is a
// UsageError (exit 2) naming the option or the variable the value came from. The reading of a
// setting, a switch and a log level is @licensor/cli-kit's, shared with the verify service.
//
// The store's own variables (LICENSOR_SQLITE_CACHE_MIB, _ISSUE_THREAD, _CHECKPOINT_THREAD) are
// checked here by the store's own rule (checkStoreSettings); its SettingInvalidError becomes the
// same usage error (and main maps one openStore raises the same way). LICENSOR_PKCS11_* and LICENSOR_STATUS_KEY_PASSPHRASE are read by the
// issuer when a key needs them (README, Run it).
import {
  type CliIo,
  envSetting,
  type LogLevel,
  logLevelValue,
  pickSetting,
  switchSetting,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { scrapeTokenSetting } from '@licensor/http-errors';
import { checkStoreSettings, DEFAULT_RETENTION_DAYS } from '@licensor/issuer';
import { type SsoOptions, ssoOptionsFromEnv } from '../server/auth/sso.js';
import type { DispatcherOptions } from '../server/webhooks/dispatcher.js';

type Env = CliIo['env'];

/** What `serve` runs with, read from the options and the environment. */
export interface ServeSettings {
  port: number;
  host: string;
  trustProxy: number | false;
  allowedHosts: string[];
  events: NonNullable<DispatcherOptions['events']>;
  sso: SsoOptions | undefined;
  passwordLogin: boolean;
  retentionDays: number;
  /** Days delivered and failed webhook deliveries are kept (LICENSOR_WEBHOOK_RETENTION_DAYS). */
  webhookRetentionDays: number | undefined;
  /** LICENSOR_METRICS_TOKEN: GET /metrics answers a scrape carrying it; unset, /metrics is off. */
  metricsToken: string | null;
  /** LOG_LEVEL (default info). */
  logLevel: LogLevel;
  /** LICENSOR_2FA_KEY: seals TOTP secrets at rest; undefined stores them as they are. */
  twoFactorKey: string | undefined;
  /** LICENSOR_WEBHOOK_TIMEOUT_MS (default 10,000). */
  webhookTimeoutMs: number;
  /** LICENSOR_WEBHOOK_DENY_PRIVATE (default off). */
  webhookDenyPrivate: boolean;
  /** LICENSOR_WEBHOOKS (default on): whether this process sends webhooks. */
  webhooksOn: boolean;
  /** LICENSOR_AUTO_RENEW (default on): whether this process runs the auto-renew job. */
  autoRenew: boolean;
  /** host[:port] of each URL in LICENSOR_PORTAL_URL (comma-separated): webhooks never go there. */
  selfHosts: string[];
}

/** LICENSOR_2FA_KEY's least length, as the other secrets (the scrape token). */
export const TWO_FACTOR_KEY_MIN_LENGTH = 16;
/** LICENSOR_WEBHOOK_TIMEOUT_MS's range. */
export const WEBHOOK_TIMEOUT_RANGE = { min: 100, max: 300_000 } as const;

/** An option's value (empty refused), or undefined when not given. */
function option(values: Record<string, unknown>, name: string): string | undefined {
  const given = values[name];
  if (typeof given !== 'string') return undefined;
  if (given.trim() === '') {
    throw new UsageError(`--${name} must not be empty; leave it out for the default`);
  }
  return given.trim();
}

/** A whole number of days from a variable (unset or empty: undefined). */
function days(env: Env, name: string, min: number, rule: string): number | undefined {
  const raw = envSetting(env, name);
  if (raw === undefined) return undefined;
  const value = /^\d{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`${name} must be ${rule}; got "${raw}"`);
  }
  return value;
}

function logLevelOf(env: Env): LogLevel {
  const raw = envSetting(env, 'LOG_LEVEL');
  return raw === undefined ? 'info' : logLevelValue(raw, 'LOG_LEVEL');
}

/** LICENSOR_METRICS_TOKEN: empty is unset; blank (only spaces) refused; then the shared rule. */
function metricsTokenOf(env: Env): string | null {
  const { token, problem } = scrapeTokenSetting(
    envSetting(env, 'LICENSOR_METRICS_TOKEN'),
    'leave GET /metrics off',
  );
  if (problem !== null) throw new UsageError(problem);
  return token;
}

/** LICENSOR_2FA_KEY: empty is unset (secrets stored as they are); only spaces refused. */
function twoFactorKeyOf(env: Env): string | undefined {
  const key = envSetting(env, 'LICENSOR_2FA_KEY');
  if (key === undefined) return undefined;
  if (key.trim() === '') {
    throw new UsageError(
      'LICENSOR_2FA_KEY is blank (only spaces): unset it to store TOTP secrets as they are, or set a random key, e.g. `openssl rand -hex 32`',
    );
  }
  return key;
}

/**
 * What to warn about at start: a LICENSOR_2FA_KEY shorter than 16 characters seals the TOTP
 * secrets under a guessable key. Warned, not refused: the secrets already sealed under it open
 * with that key only, and a refusal would lock their users out of the portal.
 */
export function settingWarnings(settings: Pick<ServeSettings, 'twoFactorKey'>): string[] {
  const key = settings.twoFactorKey;
  return key !== undefined && key.length < TWO_FACTOR_KEY_MIN_LENGTH
    ? [
        `LICENSOR_2FA_KEY is ${key.length} characters: TOTP secrets sealed under it are only as safe as a ${key.length}-character key. Use a random one of at least ${TWO_FACTOR_KEY_MIN_LENGTH} (e.g. \`openssl rand -hex 32\`) for a new portal; users enrolled under this key must enrol again after a change (licensor-issuer users reset-2fa).`,
      ]
    : [];
}

/** LICENSOR_PORTAL_URL: one or more http(s) URLs, comma-separated; their host[:port]. */
function selfHostsOf(env: Env): string[] {
  const raw = envSetting(env, 'LICENSOR_PORTAL_URL');
  if (raw === undefined) return [];
  const hosts: string[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      url = null;
    }
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(
        `LICENSOR_PORTAL_URL must be the portal's URL, e.g. https://licensor.example.com (several comma-separated); "${entry}" is not an http or https URL`,
      );
    }
    hosts.push(url.host);
  }
  return hosts;
}

/**
 * What the webhook event watch looks for, from the environment: LICENSOR_NEAR_CAP_PERCENT
 * (usage.near-cap at this share of the cap, default 90), LICENSOR_CHECK_INTERVAL_SECONDS (how
 * often installations check, default 86400, as the verify service), LICENSOR_CHECK_STOPPED_AFTER_SECONDS
 * (check.stopped after this long without a check, default two intervals).
 */
export function eventWatchOptions(env: Env): NonNullable<DispatcherOptions['events']> {
  const number = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new UsageError(`${name} must be a number from ${min} to ${max}; got "${raw}"`);
    }
    return value;
  };
  const percent = number('LICENSOR_NEAR_CAP_PERCENT', 1, 100);
  const interval = number('LICENSOR_CHECK_INTERVAL_SECONDS', 60, 365 * 86_400);
  const stopped = number('LICENSOR_CHECK_STOPPED_AFTER_SECONDS', 60, 365 * 86_400);
  return {
    ...(percent === undefined ? {} : { nearCapPercent: percent }),
    ...(interval === undefined ? {} : { checkIntervalMs: interval * 1000 }),
    ...(stopped === undefined ? {} : { stoppedAfterMs: stopped * 1000 }),
  };
}

/** The settings of `serve`, or a UsageError naming the option or variable that is wrong. */
export function serveSettings(values: Record<string, unknown>, env: Env): ServeSettings {
  const portSetting = pickSetting(values, 'port', env, 'LICENSOR_PORTAL_PORT');
  const port =
    portSetting === undefined
      ? 4000
      : wholeNumber(portSetting.value, portSetting.name, { min: 0, max: 65_535 })!;
  const host = option(values, 'host') ?? '127.0.0.1';
  if (/\s/.test(host)) {
    throw new UsageError(
      `--host must be one address or host name, e.g. 127.0.0.1 (the default) or 0.0.0.0; got "${host}"`,
    );
  }
  const hops = wholeNumber(option(values, 'trust-proxy'), '--trust-proxy', { min: 0 });
  const allowedHosts = [
    ...((values['allowed-host'] as string[] | undefined) ?? []),
    ...(env.LICENSOR_PORTAL_HOSTS ?? '').split(','),
    host,
  ]
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const events = eventWatchOptions(env);
  // Single sign-on from LICENSOR_OIDC_*; LICENSOR_PASSWORD_LOGIN=off leaves SSO only.
  let sso: SsoOptions | undefined;
  try {
    sso = ssoOptionsFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const passwordLogin = switchSetting(env, 'LICENSOR_PASSWORD_LOGIN', true);
  if (!passwordLogin && sso === undefined) {
    throw new UsageError(
      `LICENSOR_PASSWORD_LOGIN=${env.LICENSOR_PASSWORD_LOGIN?.trim()} needs single sign-on (LICENSOR_OIDC_ISSUER and the rest)`,
    );
  }
  // Raw check records older than the window are rolled up per license per day, then dropped.
  const retentionDays =
    days(env, 'LICENSOR_CHECK_RETENTION_DAYS', 1, 'a whole number of days >= 1') ??
    DEFAULT_RETENTION_DAYS;
  // Webhook deliveries and their events: longer than the 30-day subscription.expiring window.
  const webhookRetentionDays = days(
    env,
    'LICENSOR_WEBHOOK_RETENTION_DAYS',
    31,
    'a whole number of days above 30',
  );
  const timeout = envSetting(env, 'LICENSOR_WEBHOOK_TIMEOUT_MS');
  const webhookTimeoutMs =
    timeout === undefined
      ? 10_000
      : wholeNumber(timeout.trim(), 'LICENSOR_WEBHOOK_TIMEOUT_MS', WEBHOOK_TIMEOUT_RANGE)!;
  try {
    checkStoreSettings(env);
  } catch (error) {
    if ((error as { setting?: unknown }).setting === true) {
      throw new UsageError((error as Error).message);
    }
    throw error;
  }
  return {
    port,
    host,
    trustProxy: hops ?? false,
    allowedHosts,
    events,
    sso,
    passwordLogin,
    retentionDays,
    webhookRetentionDays,
    metricsToken: metricsTokenOf(env),
    logLevel: logLevelOf(env),
    twoFactorKey: twoFactorKeyOf(env),
    webhookTimeoutMs,
    webhookDenyPrivate: switchSetting(env, 'LICENSOR_WEBHOOK_DENY_PRIVATE', false),
    webhooksOn: switchSetting(env, 'LICENSOR_WEBHOOKS', true),
    autoRenew: switchSetting(env, 'LICENSOR_AUTO_RENEW', true),
    selfHosts: selfHostsOf(env),
  };
}
