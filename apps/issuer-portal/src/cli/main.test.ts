// The command line of `licensor-portal`, in-process: help, version and every refusal before the
// store is opened (the spawned process is tested in ../cli.test.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, isUsageError, memoryIo } from '@licensor/cli-kit';
import { HSM_ENV, SettingInvalidError } from '@licensor/issuer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PORTAL_VERSION } from '../server/app.js';
import { asUsageError, eventWatchOptions, main, serveSettings } from './main.js';
import { settingWarnings } from './settings.js';

const capture = (env: CliIo['env'] = {}) => memoryIo({ env });

describe('licensor-portal on the CLI kit', () => {
  let root: string;
  let data: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'licensor-portal-main-'));
    data = join(root, 'store');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prints the version of the package with --version and -V', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(PORTAL_VERSION).toBe(pkg.version);
    for (const flag of ['--version', '-V']) {
      const { io, out } = capture();
      expect(await main([flag], io)).toBe(0);
      expect(out.stdout).toBe(`licensor-portal ${pkg.version}\n`);
      expect(out.stderr).toBe('');
    }
  });

  it('lists its command in the kit help format, and one command with its options', async () => {
    const all = capture();
    expect(await main(['--help'], all.io)).toBe(0);
    expect(all.out.stdout).toMatch(/^licensor-portal \d+\.\d+\.\d+: /);
    expect(all.out.stdout).toContain('usage: licensor-portal <command> [options]');
    expect(all.out.stdout).toMatch(/\n {2}serve {4,}serve the portal until stopped\n/);
    expect(all.out.stdout).toContain('-V, --version');
    expect(all.out.stdout).toContain('LICENSOR_NEAR_CAP_PERCENT');
    const one = capture();
    expect(await main(['serve', '--help'], one.io)).toBe(0);
    expect(one.out.stdout).toContain('usage: licensor-portal serve [options]');
    for (const option of [
      '--port P',
      '--host H',
      '--data DIR',
      '--trust-proxy HOPS',
      '--allowed-host NAME',
    ]) {
      expect(one.out.stdout).toContain(option);
    }
    const word = capture();
    expect(await main(['help', 'serve'], word.io)).toBe(0);
    expect(word.out.stdout).toBe(one.out.stdout);
  });

  it('lists every variable the portal reads in --help, one line each, and in the README settings table', async () => {
    const source = ['./settings.ts', '../server/auth/sso.ts']
      .map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'))
      .join('\n');
    const read = new Set(
      [...source.matchAll(/\b(LICENSOR_[A-Z0-9_]*[A-Z0-9]|LOG_LEVEL|MONGODB_URI)\b/g)].map(
        (match) => match[1]!,
      ),
    );
    // Read by the store and the issuer on the portal's behalf.
    for (const name of [
      ...Object.values(HSM_ENV),
      'LICENSOR_DATA',
      'LICENSOR_KEY_PASSPHRASE',
      'LICENSOR_STATUS_KEY_PASSPHRASE',
      'LICENSOR_SQLITE_CACHE_MIB',
      'LICENSOR_SQLITE_ISSUE_THREAD',
      'LICENSOR_SQLITE_CHECKPOINT_THREAD',
    ]) {
      read.add(name);
    }
    expect(read.size).toBeGreaterThan(30);
    const { io, out } = capture();
    expect(await main(['--help'], io)).toBe(0);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const settingsTable = readme.slice(
      readme.indexOf('| option / env'),
      readme.indexOf('In tests'),
    );
    for (const name of read) {
      expect(out.stdout, name).toMatch(new RegExp(`\\n  ${name} +\\S`));
      const short = name.replace(/^LICENSOR_(PKCS11|OIDC)_.*/, 'LICENSOR_$1_');
      expect(settingsTable, name).toContain(short);
    }
  });

  it.each([
    [['launch'], 'unknown command "launch"', 'licensor-portal'],
    [[], 'a command is required: serve', 'licensor-portal'],
    [['serve', '--colour', 'blue'], 'unknown option --colour', 'licensor-portal'],
    [['serve', 'now'], 'serve takes no arguments; got "now"', 'licensor-portal serve'],
    [['serve', '--port'], '--port needs a value (P)', 'licensor-portal'],
    [
      ['serve', '--port', '70000'],
      '--port must be a whole number from 0 to 65535; got "70000"',
      'licensor-portal serve',
    ],
    [
      ['serve', '--trust-proxy', 'yes'],
      '--trust-proxy must be a whole number of at least 0; got "yes"',
      'licensor-portal serve',
    ],
  ])(
    'refuses %j with the usage error shape, exit 2, opening nothing',
    async (args, message, where) => {
      const { io, out } = capture();
      expect(await main(['--data', data, ...args], io)).toBe(2);
      expect(out.stderr).toBe(`error: ERR_USAGE: ${message}\nSee \`${where} --help\`.\n`);
      expect(out.stdout).toBe('');
      expect(existsSync(data)).toBe(false);
    },
  );

  it.each([
    [
      { LICENSOR_PORTAL_PORT: 'http' },
      'LICENSOR_PORTAL_PORT must be a whole number from 0 to 65535; got "http"',
    ],
    [
      { LICENSOR_NEAR_CAP_PERCENT: '150' },
      'LICENSOR_NEAR_CAP_PERCENT must be a number from 1 to 100; got "150"',
    ],
    [
      { LICENSOR_CHECK_INTERVAL_SECONDS: 'daily' },
      'LICENSOR_CHECK_INTERVAL_SECONDS must be a number from 60 to 31536000; got "daily"',
    ],
    [
      { LICENSOR_CHECK_RETENTION_DAYS: '0' },
      'LICENSOR_CHECK_RETENTION_DAYS must be a whole number of days >= 1; got "0"',
    ],
    [
      { LICENSOR_METRICS_TOKEN: '0123456789 abcdef0123' },
      'LICENSOR_METRICS_TOKEN must not contain spaces (a scrape sends it as one Bearer word): use e.g. `openssl rand -hex 16`',
    ],
    [
      { LICENSOR_METRICS_TOKEN: 'secret' },
      'LICENSOR_METRICS_TOKEN must be at least 16 characters: use a random one, e.g. `openssl rand -hex 16`',
    ],
    [
      { LICENSOR_PASSWORD_LOGIN: 'off' },
      'LICENSOR_PASSWORD_LOGIN=off needs single sign-on (LICENSOR_OIDC_ISSUER and the rest)',
    ],
    [
      { LICENSOR_OIDC_ISSUER: 'https://idp.example.com', LICENSOR_OIDC_CLIENT_ID: 'x' },
      'LICENSOR_OIDC_ROLE_MAP must be set with LICENSOR_OIDC_ISSUER',
    ],
    [
      { LOG_LEVEL: 'bogus' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (any case; warning = warn); got "bogus"',
    ],
    [
      { LICENSOR_PORTAL_URL: 'not-a-url' },
      `LICENSOR_PORTAL_URL must be the portal's URL, e.g. https://licensor.example.com (several comma-separated); "not-a-url" is not an http or https URL`,
    ],
    [
      { LICENSOR_PORTAL_URL: 'https://licensor.example.com, ftp://files.example.com' },
      `LICENSOR_PORTAL_URL must be the portal's URL, e.g. https://licensor.example.com (several comma-separated); "ftp://files.example.com" is not an http or https URL`,
    ],
    [
      { LICENSOR_WEBHOOK_TIMEOUT_MS: 'abc' },
      'LICENSOR_WEBHOOK_TIMEOUT_MS must be a whole number from 100 to 300000; got "abc"',
    ],
    [
      { LICENSOR_PASSWORD_LOGIN: 'disabled' },
      'LICENSOR_PASSWORD_LOGIN must be on, true, yes, 1 or off, false, no, 0 (any case; default on); got "disabled"',
    ],
    [
      { LICENSOR_PASSWORD_LOGIN: 'OFF' },
      'LICENSOR_PASSWORD_LOGIN=OFF needs single sign-on (LICENSOR_OIDC_ISSUER and the rest)',
    ],
    [
      { LICENSOR_WEBHOOK_DENY_PRIVATE: 'y' },
      'LICENSOR_WEBHOOK_DENY_PRIVATE must be on, true, yes, 1 or off, false, no, 0 (any case; default off); got "y"',
    ],
    [
      { LICENSOR_WEBHOOKS: 'disabled' },
      'LICENSOR_WEBHOOKS must be on, true, yes, 1 or off, false, no, 0 (any case; default on); got "disabled"',
    ],
    [
      { LICENSOR_AUTO_RENEW: 'never' },
      'LICENSOR_AUTO_RENEW must be on, true, yes, 1 or off, false, no, 0 (any case; default on); got "never"',
    ],
    [
      { LICENSOR_2FA_KEY: '   ' },
      'LICENSOR_2FA_KEY is blank (only spaces): unset it to store TOTP secrets as they are, or set a random key, e.g. `openssl rand -hex 32`',
    ],
    [
      { LICENSOR_METRICS_TOKEN: '   ' },
      'LICENSOR_METRICS_TOKEN is blank (only spaces): unset it to leave GET /metrics off, or set a random token, e.g. `openssl rand -hex 16`',
    ],
    [
      { LICENSOR_METRICS_TOKEN: '0123456789abcdé0123' },
      'LICENSOR_METRICS_TOKEN must be printable ASCII (a scrape sends it in an HTTP header, where other characters do not arrive as typed): use e.g. `openssl rand -hex 16`',
    ],
    [
      { LICENSOR_SQLITE_CACHE_MIB: 'lots' },
      'LICENSOR_SQLITE_CACHE_MIB is "lots": set it to a whole number of MiB from 1 to 1048576 (default: sized from the store), or unset it',
    ],
    [
      { LICENSOR_SQLITE_ISSUE_THREAD: 'maybe' },
      'LICENSOR_SQLITE_ISSUE_THREAD is "maybe": set it to on (the default) or off, or unset it',
    ],
  ])('refuses the setting %j before the store is opened, exit 2', async (env, message) => {
    const { io, out } = capture(env);
    // --port would win over LICENSOR_PORTAL_PORT; without a refusal, 0 serves on a free port.
    const port = 'LICENSOR_PORTAL_PORT' in env ? [] : ['--port', '0'];
    expect(await main(['serve', ...port, '--data', data], io)).toBe(2);
    expect(out.stderr).toBe(
      `error: ERR_USAGE: ${message}\nSee \`licensor-portal serve --help\`.\n`,
    );
    expect(existsSync(data)).toBe(false);
  });

  it('reads the options and the environment into the settings serve runs with', () => {
    expect(
      serveSettings(
        { port: '4100', host: '0.0.0.0', 'trust-proxy': '2', 'allowed-host': ['a.example.com'] },
        {
          LICENSOR_PORTAL_HOSTS: 'b.example.com,,c.example.com',
          LICENSOR_CHECK_RETENTION_DAYS: '90',
          LICENSOR_NEAR_CAP_PERCENT: '80',
          LICENSOR_METRICS_TOKEN: ' 0123456789abcdef0123 ',
          LICENSOR_WEBHOOK_RETENTION_DAYS: '365',
        },
      ),
    ).toEqual({
      port: 4100,
      host: '0.0.0.0',
      trustProxy: 2,
      allowedHosts: ['a.example.com', 'b.example.com', 'c.example.com', '0.0.0.0'],
      events: { nearCapPercent: 80 },
      sso: undefined,
      passwordLogin: true,
      retentionDays: 90,
      webhookRetentionDays: 365,
      metricsToken: '0123456789abcdef0123',
      logLevel: 'info',
      twoFactorKey: undefined,
      webhookTimeoutMs: 10_000,
      webhookDenyPrivate: false,
      webhooksOn: true,
      autoRenew: true,
      selfHosts: [],
    });
    for (const days of ['30', '45.5', 'a year']) {
      expect(() => serveSettings({}, { LICENSOR_WEBHOOK_RETENTION_DAYS: days })).toThrow(
        `LICENSOR_WEBHOOK_RETENTION_DAYS must be a whole number of days above 30; got "${days}"`,
      );
    }
    expect(serveSettings({}, { LICENSOR_PORTAL_PORT: '4200' })).toMatchObject({
      port: 4200,
      host: '127.0.0.1',
      trustProxy: false,
      allowedHosts: ['127.0.0.1'],
      retentionDays: 30,
      webhookRetentionDays: undefined,
      metricsToken: null,
    });
  });

  it('reads every switch as on/off, true/false, yes/no or 1/0 in any case', () => {
    const sso = {
      LICENSOR_OIDC_ISSUER: 'https://idp.example.com',
      LICENSOR_OIDC_CLIENT_ID: 'licensor-portal',
      LICENSOR_OIDC_CLIENT_SECRET: 'a-client-secret',
      LICENSOR_OIDC_REDIRECT_URL: 'https://licensor.example.com/api/v1/auth/oidc/callback',
      LICENSOR_OIDC_ROLE_MAP: 'admins=admin',
    };
    for (const off of ['off', 'OFF', 'false', 'False', 'no', '0', ' off ']) {
      expect(
        serveSettings(
          {},
          {
            ...sso,
            LICENSOR_PASSWORD_LOGIN: off,
            LICENSOR_WEBHOOKS: off,
            LICENSOR_AUTO_RENEW: off,
            LICENSOR_WEBHOOK_DENY_PRIVATE: off,
          },
        ),
        off,
      ).toMatchObject({
        passwordLogin: false,
        webhooksOn: false,
        autoRenew: false,
        webhookDenyPrivate: false,
      });
    }
    for (const on of ['on', 'ON', 'true', 'TRUE', 'yes', '1']) {
      expect(
        serveSettings(
          {},
          {
            LICENSOR_PASSWORD_LOGIN: on,
            LICENSOR_WEBHOOKS: on,
            LICENSOR_AUTO_RENEW: on,
            LICENSOR_WEBHOOK_DENY_PRIVATE: on,
          },
        ),
        on,
      ).toMatchObject({
        passwordLogin: true,
        webhooksOn: true,
        autoRenew: true,
        webhookDenyPrivate: true,
      });
    }
  });

  it('counts a variable set to the empty string as unset, with its documented default', () => {
    const blank = {
      LICENSOR_PORTAL_PORT: '',
      LICENSOR_2FA_KEY: '',
      LICENSOR_METRICS_TOKEN: '',
      LICENSOR_CHECK_RETENTION_DAYS: '',
      LICENSOR_WEBHOOK_RETENTION_DAYS: '',
      LICENSOR_WEBHOOK_TIMEOUT_MS: '',
      LICENSOR_WEBHOOK_DENY_PRIVATE: '',
      LICENSOR_WEBHOOKS: '',
      LICENSOR_AUTO_RENEW: '',
      LICENSOR_PASSWORD_LOGIN: '',
      LICENSOR_PORTAL_URL: '',
      LOG_LEVEL: '',
      LICENSOR_SQLITE_CACHE_MIB: '',
      LICENSOR_SQLITE_ISSUE_THREAD: '',
    };
    expect(serveSettings({}, blank)).toMatchObject({
      port: 4000,
      twoFactorKey: undefined,
      metricsToken: null,
      retentionDays: 30,
      webhookRetentionDays: undefined,
      webhookTimeoutMs: 10_000,
      webhookDenyPrivate: false,
      webhooksOn: true,
      autoRenew: true,
      passwordLogin: true,
      selfHosts: [],
      logLevel: 'info',
    });
  });

  it('reads LOG_LEVEL in any case (warning = warn), the 2FA key, the webhook timeout and the portal URLs', () => {
    for (const [given, level] of [
      ['WARN', 'warn'],
      ['warning', 'warn'],
      ['Debug', 'debug'],
      ['silent', 'silent'],
    ] as const) {
      expect(serveSettings({}, { LOG_LEVEL: given }).logLevel, given).toBe(level);
    }
    // A short 2FA key is warned about, not refused: secrets sealed under it open with it only.
    const short = serveSettings({}, { LICENSOR_2FA_KEY: 'short-key' });
    expect(short.twoFactorKey).toBe('short-key');
    expect(settingWarnings(short)).toEqual([
      expect.stringMatching(/^LICENSOR_2FA_KEY is 9 characters: .*at least 16/),
    ]);
    const key = 'a-2fa-key-of-16c';
    expect(
      serveSettings(
        {},
        {
          LICENSOR_2FA_KEY: key,
          LICENSOR_WEBHOOK_TIMEOUT_MS: '2500',
          LICENSOR_PORTAL_URL: 'https://licensor.example.com, http://10.0.0.5:4000/,',
        },
      ),
    ).toMatchObject({
      twoFactorKey: key,
      webhookTimeoutMs: 2500,
      selfHosts: ['licensor.example.com', '10.0.0.5:4000'],
    });
  });

  it('names --port when the port came from the option, LICENSOR_PORTAL_PORT when from the variable', () => {
    expect(() => serveSettings({ port: 'abc' }, { LICENSOR_PORTAL_PORT: '4100' })).toThrow(
      '--port must be a whole number from 0 to 65535; got "abc"',
    );
    expect(() => serveSettings({}, { LICENSOR_PORTAL_PORT: 'abc' })).toThrow(
      'LICENSOR_PORTAL_PORT must be a whole number from 0 to 65535; got "abc"',
    );
    expect(serveSettings({ port: '4100' }, { LICENSOR_PORTAL_PORT: 'abc' }).port).toBe(4100);
  });

  it("turns the store's refusal of its own setting (SettingInvalidError) into the usage error", () => {
    const refused = asUsageError(
      new SettingInvalidError('LICENSOR_SQLITE_CACHE_MIB', 'abc', 'a whole number of MiB'),
    );
    expect(isUsageError(refused)).toBe(true);
    expect((refused as Error).message).toBe(
      'LICENSOR_SQLITE_CACHE_MIB is "abc": set it to a whole number of MiB, or unset it',
    );
    const other = new Error('disk full');
    expect(asUsageError(other)).toBe(other);
  });

  it('turns the event watch settings into milliseconds', () => {
    expect(
      eventWatchOptions({
        LICENSOR_CHECK_INTERVAL_SECONDS: '3600',
        LICENSOR_CHECK_STOPPED_AFTER_SECONDS: '7200',
      }),
    ).toEqual({ checkIntervalMs: 3_600_000, stoppedAfterMs: 7_200_000 });
    expect(eventWatchOptions({ LICENSOR_NEAR_CAP_PERCENT: ' ' })).toEqual({});
  });
});
