#!/usr/bin/env node
// licensor-portal: runs the issuer portal on the same store as licensor-issuer.
//   licensor-portal serve [--port 4000] [--host 127.0.0.1] [--data DIR] [--trust-proxy N]
//                         [--allowed-host NAME ...]
// MONGODB_URI selects the MongoDB store; otherwise the SQLite file under --data
// (default $LICENSOR_DATA, else ./.licensor-data). LICENSOR_KEY_PASSPHRASE unlocks encrypted signing keys.
import { parseArgs } from 'node:util';
import { DEFAULT_RETENTION_DAYS, openIssuer, startCheckRetention } from '@licensor/issuer';
import { dataDirOf, openStore } from '@licensor/issuer/store';
import { isLicensorError } from '@licensor/token';
import { createPortalApp } from './server/app.js';
import { type SsoOptions, ssoOptionsFromEnv } from './server/auth/sso.js';
import type { DispatcherOptions } from './server/webhooks/dispatcher.js';

const USAGE = `usage: licensor-portal serve [--port 4000] [--host 127.0.0.1] [--data DIR] [--trust-proxy HOPS]
                             [--allowed-host NAME ...]

  --port         port to listen on (default 4000, env LICENSOR_PORTAL_PORT)
  --host         address to bind (default 127.0.0.1; 0.0.0.0 behind a proxy)
  --data         data folder of the SQLite store (default $LICENSOR_DATA, else
                 ./.licensor-data); ignored when MONGODB_URI is set
  --trust-proxy  number of proxies in front (sets express "trust proxy"), so Secure cookies
                 and the login rate limit see the client's scheme and address
  --allowed-host a host name users reach the portal by (repeatable; also LICENSOR_PORTAL_HOSTS,
                 comma-separated). Requests naming any other host are refused (DNS rebinding);
                 localhost and IP addresses are always answered

  env LICENSOR_CHECK_RETENTION_DAYS  days of raw check records kept (default 30); older ones
                 are rolled up per license per day, hourly, then dropped
  env LICENSOR_NEAR_CAP_PERCENT  usage.near-cap webhook at this share of the cap (1-100, default 90)
  env LICENSOR_CHECK_INTERVAL_SECONDS  how often installations check (default 86400)
  env LICENSOR_CHECK_STOPPED_AFTER_SECONDS  check.stopped webhook after this long without a
                 check (default two intervals)
`;

function usage(message?: string): never {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

async function serve(argv: string[]): Promise<void> {
  let values: {
    port?: string;
    host?: string;
    data?: string;
    'trust-proxy'?: string;
    'allowed-host'?: string[];
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        'trust-proxy': { type: 'string' },
        'allowed-host': { type: 'string', multiple: true },
      },
      strict: true,
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  const port = Number(values.port ?? process.env.LICENSOR_PORTAL_PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0-65535');
  const host = values.host ?? '127.0.0.1';
  const trustProxy = values['trust-proxy'] === undefined ? false : Number(values['trust-proxy']);
  if (trustProxy !== false && !Number.isInteger(trustProxy))
    usage('--trust-proxy must be a number');

  const events = eventWatchOptions(process.env);
  const mongoUri = process.env.MONGODB_URI;
  const store = await openStore(
    mongoUri ? { mongoUri } : { dataDir: dataDirOf(values.data, process.env) },
  );
  const passphrase = process.env.LICENSOR_KEY_PASSPHRASE;
  const issuer = await openIssuer(passphrase ? { store, passphrase } : { store });
  const allowedHosts = [
    ...(values['allowed-host'] ?? []),
    ...(process.env.LICENSOR_PORTAL_HOSTS ?? '').split(','),
    host,
  ].filter((name) => name.trim() !== '');
  // Sessions, login limits and the webhook outbox live in the store: several portal processes
  // can share it (each sends webhooks; a delivery is held by one at a time).
  const timeoutMs = Number(process.env.LICENSOR_WEBHOOK_TIMEOUT_MS ?? 10_000);
  // TOTP secrets are sealed at rest under LICENSOR_2FA_KEY when it is set (stored as they are
  // otherwise; docs/deploying.md says so).
  const twoFactorKey = process.env.LICENSOR_2FA_KEY;
  // Single sign-on from LICENSOR_OIDC_*; LICENSOR_PASSWORD_LOGIN=off leaves SSO only.
  let sso: SsoOptions | undefined;
  try {
    sso = ssoOptionsFromEnv(process.env);
  } catch (error) {
    usage((error as Error).message);
  }
  const passwordLogin = process.env.LICENSOR_PASSWORD_LOGIN !== 'off';
  if (!passwordLogin && sso === undefined) {
    usage('LICENSOR_PASSWORD_LOGIN=off needs single sign-on (LICENSOR_OIDC_ISSUER and the rest)');
  }
  const portal = createPortalApp({
    issuer,
    trustProxy,
    allowedHosts,
    twoFactor: twoFactorKey ? { key: twoFactorKey } : {},
    ...(sso === undefined ? {} : { sso }),
    passwordLogin,
    webhooks: {
      selfHosts: (process.env.LICENSOR_PORTAL_URL ?? '')
        .split(',')
        .filter((u) => u !== '')
        .map((u) => new URL(u).host),
      denyPrivate: process.env.LICENSOR_WEBHOOK_DENY_PRIVATE === '1',
      timeoutMs: Number.isInteger(timeoutMs) && timeoutMs > 0 ? timeoutMs : 10_000,
      events,
    },
  });
  const server = portal.app.listen(port, host, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    portal.webhookRules.selfPorts.push(actual);
    if (process.env.LICENSOR_WEBHOOKS !== 'off') portal.webhooks.start();
    process.stdout.write(
      `licensor-portal listening on http://${host}:${actual}/ (store: ${store.kind})\n`,
    );
  });
  // Raw check records older than the window are rolled up per license per day, then dropped.
  const retentionDays = Number(process.env.LICENSOR_CHECK_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    usage('LICENSOR_CHECK_RETENTION_DAYS must be a whole number of days >= 1');
  }
  const retention = startCheckRetention({
    store,
    keepDays: retentionDays,
    onRun: (result) => {
      if (result instanceof Error) {
        process.stderr.write(`check roll-up failed (retried in an hour): ${result.message}\n`);
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
      Promise.all([retention.stop(), portal.webhooks.stop()])
        .then(() => store.close())
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'serve') return serve(rest);
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  usage(command ? `unknown command "${command}"` : 'a command is required');
}

main().catch((error: unknown) => {
  if (isLicensorError(error)) {
    process.stderr.write(`error: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});

/**
 * What the webhook event watch looks for, from the environment: LICENSOR_NEAR_CAP_PERCENT
 * (usage.near-cap at this share of the cap, default 90), LICENSOR_CHECK_INTERVAL_SECONDS (how
 * often installations check, default 86400, as the verify service), LICENSOR_CHECK_STOPPED_AFTER_SECONDS
 * (check.stopped after this long without a check, default two intervals).
 */
export function eventWatchOptions(
  env: NodeJS.ProcessEnv,
): NonNullable<DispatcherOptions['events']> {
  const number = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      usage(`${name} must be a number from ${min} to ${max}`);
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
