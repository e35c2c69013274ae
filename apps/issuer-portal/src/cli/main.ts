// `licensor-portal serve`: the issuer portal on the same store as licensor-issuer, on the CLI
// kit. Exit 0 when stopped, 1 when refused (`error: CODE: message`), 2 for a usage or setting
// error (the kit's shape: `error: ERR_USAGE: …` and one line on where the help is). Every
// setting is checked before the store is opened, so a wrong one touches nothing.

import {
  type CliIo,
  formatUsageError,
  isUsageError,
  parseCommandLine,
  text,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { scrapeTokenProblem } from '@licensor/http-errors';
import {
  DEFAULT_RETENTION_DAYS,
  openIssuer,
  startAutoRenew,
  startCheckRetention,
} from '@licensor/issuer';
import { dataDirOf, openStore } from '@licensor/issuer/store';
import { isLicensorError } from '@licensor/token';
import { createPortalApp } from '../server/app.js';
import { type SsoOptions, ssoOptionsFromEnv } from '../server/auth/sso.js';
import type { DispatcherOptions } from '../server/webhooks/dispatcher.js';
import { PORTAL_CLI } from './spec.js';

/** What `serve` runs with, read from the options and the environment. */
interface ServeSettings {
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
}

/** The settings of `serve`, or a UsageError naming the option or variable that is wrong. */
export function serveSettings(values: Record<string, unknown>, env: CliIo['env']): ServeSettings {
  const port = wholeNumber(text(values, 'port') ?? env.LICENSOR_PORTAL_PORT ?? '4000', '--port', {
    min: 0,
    max: 65_535,
  })!;
  const host = text(values, 'host') ?? '127.0.0.1';
  const hops = wholeNumber(text(values, 'trust-proxy'), '--trust-proxy', { min: 0 });
  const allowedHosts = [
    ...((values['allowed-host'] as string[] | undefined) ?? []),
    ...(env.LICENSOR_PORTAL_HOSTS ?? '').split(','),
    host,
  ].filter((name) => name.trim() !== '');
  const events = eventWatchOptions(env);
  // Single sign-on from LICENSOR_OIDC_*; LICENSOR_PASSWORD_LOGIN=off leaves SSO only.
  let sso: SsoOptions | undefined;
  try {
    sso = ssoOptionsFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const passwordLogin = env.LICENSOR_PASSWORD_LOGIN !== 'off';
  if (!passwordLogin && sso === undefined) {
    throw new UsageError(
      'LICENSOR_PASSWORD_LOGIN=off needs single sign-on (LICENSOR_OIDC_ISSUER and the rest)',
    );
  }
  // Raw check records older than the window are rolled up per license per day, then dropped.
  const retentionDays = Number(env.LICENSOR_CHECK_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new UsageError('LICENSOR_CHECK_RETENTION_DAYS must be a whole number of days >= 1');
  }
  // Webhook deliveries and their events: longer than the 30-day subscription.expiring window.
  const webhookDays = env.LICENSOR_WEBHOOK_RETENTION_DAYS?.trim();
  const webhookRetentionDays = webhookDays ? Number(webhookDays) : undefined;
  if (
    webhookRetentionDays !== undefined &&
    (!Number.isInteger(webhookRetentionDays) || webhookRetentionDays <= 30)
  ) {
    throw new UsageError('LICENSOR_WEBHOOK_RETENTION_DAYS must be a whole number of days above 30');
  }
  const metricsToken = env.LICENSOR_METRICS_TOKEN?.trim() || null;
  const tokenProblem = metricsToken === null ? null : scrapeTokenProblem(metricsToken);
  if (tokenProblem !== null) throw new UsageError(tokenProblem);
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
    metricsToken,
  };
}

/**
 * What the webhook event watch looks for, from the environment: LICENSOR_NEAR_CAP_PERCENT
 * (usage.near-cap at this share of the cap, default 90), LICENSOR_CHECK_INTERVAL_SECONDS (how
 * often installations check, default 86400, as the verify service), LICENSOR_CHECK_STOPPED_AFTER_SECONDS
 * (check.stopped after this long without a check, default two intervals).
 */
export function eventWatchOptions(env: CliIo['env']): NonNullable<DispatcherOptions['events']> {
  const number = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new UsageError(`${name} must be a number from ${min} to ${max}`);
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

/** Opens the store and serves until SIGTERM/SIGINT (which end the process). */
async function serve(settings: ServeSettings, dataFlag: string | undefined, io: CliIo) {
  const { env } = io;
  const mongoUri = env.MONGODB_URI;
  const store = await openStore(mongoUri ? { mongoUri } : { dataDir: dataDirOf(dataFlag, env) });
  const passphrase = env.LICENSOR_KEY_PASSPHRASE;
  const issuer = await openIssuer(passphrase ? { store, passphrase } : { store });
  // Sessions, login limits and the webhook outbox live in the store: several portal processes
  // can share it (each sends webhooks; a delivery is held by one at a time).
  const timeoutMs = Number(env.LICENSOR_WEBHOOK_TIMEOUT_MS ?? 10_000);
  // TOTP secrets are sealed at rest under LICENSOR_2FA_KEY when it is set (stored as they are
  // otherwise; docs/deploying.md says so).
  const twoFactorKey = env.LICENSOR_2FA_KEY;
  const { port, host, sso } = settings;
  const portal = createPortalApp({
    issuer,
    trustProxy: settings.trustProxy,
    allowedHosts: settings.allowedHosts,
    twoFactor: twoFactorKey ? { key: twoFactorKey } : {},
    ...(sso === undefined ? {} : { sso }),
    passwordLogin: settings.passwordLogin,
    metricsToken: settings.metricsToken,
    webhooks: {
      selfHosts: (env.LICENSOR_PORTAL_URL ?? '')
        .split(',')
        .filter((u) => u !== '')
        .map((u) => new URL(u).host),
      denyPrivate: env.LICENSOR_WEBHOOK_DENY_PRIVATE === '1',
      timeoutMs: Number.isInteger(timeoutMs) && timeoutMs > 0 ? timeoutMs : 10_000,
      events: settings.events,
      ...(settings.webhookRetentionDays === undefined
        ? {}
        : { retentionDays: settings.webhookRetentionDays }),
    },
  });
  const server = portal.app.listen(port, host, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    portal.webhookRules.selfPorts.push(actual);
    if (env.LICENSOR_WEBHOOKS !== 'off') portal.webhooks.start();
    io.stdout(`licensor-portal listening on http://${host}:${actual}/ (store: ${store.kind})\n`);
  });
  const retention = startCheckRetention({
    store,
    keepDays: settings.retentionDays,
    onRun: (result) => {
      if (result instanceof Error) {
        io.stderr(`check roll-up failed (retried in an hour): ${result.message}\n`);
      }
    },
  });
  // Subscriptions of plans whose renewal policy renews automatically (#12.3): hourly, in
  // bounded runs; LICENSOR_AUTO_RENEW=off leaves renewals to the vendor (another process runs it).
  const renewals =
    env.LICENSOR_AUTO_RENEW === 'off'
      ? null
      : startAutoRenew({
          issuer,
          onRun: (result) => {
            if (result instanceof Error) {
              io.stderr(`auto-renew failed (retried in an hour): ${result.message}\n`);
            } else if (result.failed.length > 0) {
              const first = result.failed[0]!;
              io.stderr(
                `auto-renew: ${result.failed.length} due license(s) not renewed (${first.licenseId}: ${first.code}); retried in an hour\n`,
              );
            }
          },
        });
  const sweep = setInterval(() => {
    portal.sessions.sweep().catch(() => undefined);
  }, 60_000);
  sweep.unref();

  const stop = () => {
    clearInterval(sweep);
    server.close(() => {
      Promise.all([retention.stop(), portal.webhooks.stop(), renewals?.stop()])
        .then(() => store.close())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** Exit code, or -1 while serving (the process then ends on a signal). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let settings: ServeSettings;
  let dataFlag: string | undefined;
  try {
    const parsed = parseCommandLine(PORTAL_CLI, argv);
    if (parsed.kind !== 'run') {
      io.stdout(parsed.text);
      return 0;
    }
    try {
      settings = serveSettings(parsed.values, io.env);
    } catch (error) {
      if (isUsageError(error)) error.command = parsed.command;
      throw error;
    }
    dataFlag = text(parsed.values, 'data');
  } catch (error) {
    if (!isUsageError(error)) throw error;
    io.stderr(formatUsageError(PORTAL_CLI, error));
    return 2;
  }
  try {
    await serve(settings, dataFlag, io);
    return -1;
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    io.stderr(`error: ${error.code}: ${error.message}\n`);
    return 1;
  }
}
