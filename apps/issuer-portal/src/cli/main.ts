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
} from '@licensor/cli-kit';
import { openIssuer, startAutoRenew, startCheckRetention } from '@licensor/issuer';
import { dataDirOf, openStore } from '@licensor/issuer/store';
import { isLicensorError } from '@licensor/token';
import { pino } from 'pino';
import { createPortalApp } from '../server/app.js';
import { type ServeSettings, serveSettings, settingWarnings } from './settings.js';
import { PORTAL_CLI } from './spec.js';

export { eventWatchOptions, type ServeSettings, serveSettings } from './settings.js';

/** A refusal to start after the settings were read (exit 1): `error: CODE: message`. */
class StartRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The store's refusal of one of its own settings (LICENSOR_SQLITE_*: SettingInvalidError, code
 * ERR_INPUT_INVALID with `setting: true`), thrown by openStore before it creates anything, as
 * the usage error it is; anything else unchanged.
 */
export function asUsageError(error: unknown): unknown {
  const setting = error as { setting?: unknown; variable?: unknown; message?: unknown } | null;
  if (setting !== null && typeof setting === 'object' && setting.setting === true) {
    return new UsageError(String(setting.message));
  }
  return error;
}

/** Opens the store and serves until SIGTERM/SIGINT (which end the process). */
async function serve(settings: ServeSettings, dataFlag: string | undefined, io: CliIo) {
  const { env } = io;
  const mongoUri = env.MONGODB_URI;
  // openStore reads the store's own settings (LICENSOR_SQLITE_*) before it creates anything.
  const store = await openStore(mongoUri ? { mongoUri } : { dataDir: dataDirOf(dataFlag, env) });
  const { port, host, sso } = settings;
  let portal: ReturnType<typeof createPortalApp>;
  let server: ReturnType<ReturnType<typeof createPortalApp>['app']['listen']>;
  let issuer: Awaited<ReturnType<typeof openIssuer>>;
  try {
    const passphrase = env.LICENSOR_KEY_PASSPHRASE;
    issuer = await openIssuer(passphrase ? { store, passphrase } : { store });
    // Sessions, login limits and the webhook outbox live in the store: several portal processes
    // can share it (each sends webhooks; a delivery is held by one at a time).
    portal = createPortalApp({
      issuer,
      logger: pino({ name: 'licensor-portal', level: settings.logLevel }),
      trustProxy: settings.trustProxy,
      allowedHosts: settings.allowedHosts,
      // TOTP secrets are sealed at rest under LICENSOR_2FA_KEY when it is set (stored as they
      // are otherwise; docs/deploying.md says so).
      twoFactor: settings.twoFactorKey === undefined ? {} : { key: settings.twoFactorKey },
      ...(sso === undefined ? {} : { sso }),
      passwordLogin: settings.passwordLogin,
      metricsToken: settings.metricsToken,
      webhooks: {
        selfHosts: settings.selfHosts,
        denyPrivate: settings.webhookDenyPrivate,
        timeoutMs: settings.webhookTimeoutMs,
        events: settings.events,
        ...(settings.webhookRetentionDays === undefined
          ? {}
          : { retentionDays: settings.webhookRetentionDays }),
      },
    });
    const app = portal.app;
    server = await new Promise((listening, failed) => {
      const started = app.listen(port, host, (error?: Error) => {
        if (error === undefined) listening(started);
        else failed(listenRefusal(error, host, port));
      });
    });
  } catch (error) {
    // Nothing may keep the process alive after a refusal: the store's threads end with it.
    await store.close().catch(() => undefined);
    throw error;
  }
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  portal.webhookRules.selfPorts.push(actual);
  if (settings.webhooksOn) portal.webhooks.start();
  io.stdout(`licensor-portal listening on http://${host}:${actual}/ (store: ${store.kind})\n`);
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
  const renewals = !settings.autoRenew
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

/** A listen error as a refusal naming the address and what to do. */
function listenRefusal(error: Error, host: string, port: number): StartRefusal {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is taken: stop what holds it, or pick another --port (or LICENSOR_PORTAL_PORT)'
      : code === 'EACCES'
        ? 'permission denied: a port below 1024 needs privileges; pick another --port (or LICENSOR_PORTAL_PORT)'
        : `${error.message}; check --host and --port (or LICENSOR_PORTAL_PORT)`;
  return new StartRefusal('ERR_LISTEN_FAILED', `Cannot listen on ${where} (${code}): ${why}.`);
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
    for (const warning of settingWarnings(settings)) io.stderr(`warning: ${warning}\n`);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    io.stderr(formatUsageError(PORTAL_CLI, error));
    return 2;
  }
  try {
    await serve(settings, dataFlag, io);
    return -1;
  } catch (caught) {
    const error = asUsageError(caught);
    if (isUsageError(error)) {
      error.command = 'serve';
      io.stderr(formatUsageError(PORTAL_CLI, error));
      return 2;
    }
    if (error instanceof StartRefusal || isLicensorError(error)) {
      io.stderr(`error: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
