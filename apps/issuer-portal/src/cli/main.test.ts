// The command line of `licensor-portal`, in-process: help, version and every refusal before the
// store is opened (the spawned process is tested in ../cli.test.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, memoryIo } from '@licensor/cli-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PORTAL_VERSION } from '../server/app.js';
import { eventWatchOptions, main, serveSettings } from './main.js';

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
    [{ LICENSOR_PORTAL_PORT: 'http' }, '--port must be a whole number from 0 to 65535; got "http"'],
    [
      { LICENSOR_NEAR_CAP_PERCENT: '150' },
      'LICENSOR_NEAR_CAP_PERCENT must be a number from 1 to 100',
    ],
    [
      { LICENSOR_CHECK_INTERVAL_SECONDS: 'daily' },
      'LICENSOR_CHECK_INTERVAL_SECONDS must be a number from 60 to 31536000',
    ],
    [
      { LICENSOR_CHECK_RETENTION_DAYS: '0' },
      'LICENSOR_CHECK_RETENTION_DAYS must be a whole number of days >= 1',
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
    });
    for (const days of ['30', '45.5', 'a year']) {
      expect(() => serveSettings({}, { LICENSOR_WEBHOOK_RETENTION_DAYS: days })).toThrow(
        'LICENSOR_WEBHOOK_RETENTION_DAYS must be a whole number of days above 30',
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
