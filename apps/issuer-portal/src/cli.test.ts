import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/licensor-portal.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const { MONGODB_URI: _ignored, ...rest } = process.env;
  return spawn(process.execPath, [bin, ...args], {
    env: { ...rest, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function output(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
}

/** The outcome of a process expected to end by itself: killed after `ms` (hung) otherwise. */
async function ended(child: ChildProcess, ms = 15_000) {
  const finished = output(child);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, ms);
  const result = await finished;
  clearTimeout(timer);
  return { ...result, hung };
}

describe('licensor-portal CLI', () => {
  let dataDir: string;
  beforeAll(async () => {
    if (!existsSync(resolve(bin, '../../dist/cli.js'))) {
      throw new Error('dist/cli.js is missing: run `pnpm --filter @licensor/issuer-portal build`.');
    }
    dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-cli-'));
    const store = await openStore({ dataDir });
    const issuer = await openIssuer({ store });
    await issuer.init('test');
    await issuer.users.add('admin', 'admin', 'the-first-admin-password', 'test');
    await store.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts `serve --port 0 --data` on the test store and resolves once it listens. */
  async function serving(env: NodeJS.ProcessEnv = {}) {
    const child = run(['serve', '--port', '0', '--data', dataDir], env);
    const finished = output(child);
    const url = await new Promise<string>((found, failed) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        const match = /listening on (http:\/\/[^\s]+)/.exec(String(chunk));
        if (match) found(match[1]!);
      });
      child.on('exit', (code) => failed(new Error(`exited ${code} before listening`)));
    });
    return { child, finished, url };
  }

  const logIn = (url: string) =>
    fetch(`${url}api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password: 'the-first-admin-password' }),
    });

  it('serves the API and the UI on the store of --data, and stops cleanly on SIGTERM', async () => {
    const { child, finished, url } = await serving();
    try {
      const health = await fetch(`${url}api/v1/health`);
      expect(await health.json()).toEqual({ status: 'ok', store: 'sqlite' });
      const login = await logIn(url);
      expect(login.status).toBe(200);
      const page = await fetch(url);
      expect(page.headers.get('content-type')).toContain('text/html');
    } finally {
      child.kill('SIGTERM');
    }
    expect((await finished).code).toBe(0);
  });

  it('seals TOTP secrets at rest only when LICENSOR_2FA_KEY is set, and says which', async () => {
    for (const [env, sealed] of [
      [{}, false],
      [{ LICENSOR_2FA_KEY: '' }, false],
      [{ LICENSOR_2FA_KEY: 'a long random 2fa key for the test' }, true],
    ] as const) {
      const { child, finished, url } = await serving(env);
      try {
        const login = await logIn(url);
        expect(login.status).toBe(200);
        const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
        const status = await fetch(`${url}api/v1/auth/2fa`, { headers: { cookie } });
        expect(status.status).toBe(200);
        expect((await status.json()).secretsSealed).toBe(sealed);
      } finally {
        child.kill('SIGTERM');
      }
      expect((await finished).code).toBe(0);
    }
  });

  it('exits 2 with the CLI kit usage error for an unknown command or option', async () => {
    const unknown = await output(run(['launch']));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'error: ERR_USAGE: unknown command "launch"\nSee `licensor-portal --help`.\n',
    );
    const badOption = await output(run(['serve', '--colour', 'blue']));
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toBe(
      'error: ERR_USAGE: unknown option --colour\nSee `licensor-portal serve --help`.\n',
    );
  });

  it('prints its version and help and exits 0', async () => {
    const version = await output(run(['--version']));
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^licensor-portal \d+\.\d+\.\d+\n$/);
    const help = await output(run(['serve', '--help']));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: licensor-portal serve [options]');
  });

  it('exits 2 naming the setting when single sign-on is half set up or password login is off without it', async () => {
    const base = ['serve', '--port', '0', '--data', dataDir];
    const noSso = await output(run(base, { LICENSOR_PASSWORD_LOGIN: 'off' }));
    expect(noSso.code).toBe(2);
    expect(noSso.stderr).toContain('LICENSOR_PASSWORD_LOGIN=off needs single sign-on');
    const half = await output(
      run(base, { LICENSOR_OIDC_ISSUER: 'https://idp.example.com', LICENSOR_OIDC_CLIENT_ID: 'x' }),
    );
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('LICENSOR_OIDC_ROLE_MAP must be set');
  });

  it.each([
    [
      { LOG_LEVEL: 'bogus' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ LICENSOR_PORTAL_URL: 'not-a-url' }, "LICENSOR_PORTAL_URL must be the portal's URL"],
    [{ LICENSOR_SQLITE_CACHE_MIB: 'abc' }, 'LICENSOR_SQLITE_CACHE_MIB is "abc": set it to'],
    [
      { LICENSOR_SQLITE_CHECKPOINT_THREAD: 'maybe' },
      'LICENSOR_SQLITE_CHECKPOINT_THREAD is "maybe"',
    ],
    [{ LICENSOR_WEBHOOK_TIMEOUT_MS: 'abc' }, 'LICENSOR_WEBHOOK_TIMEOUT_MS must be a whole number'],
    [{ LICENSOR_WEBHOOK_DENY_PRIVATE: 'y' }, 'LICENSOR_WEBHOOK_DENY_PRIVATE must be on, true'],
    [{ LICENSOR_2FA_KEY: '   ' }, 'LICENSOR_2FA_KEY is blank (only spaces)'],
    [{ LICENSOR_PASSWORD_LOGIN: 'false' }, 'LICENSOR_PASSWORD_LOGIN=false needs single sign-on'],
    [
      { LICENSOR_PORTAL_PORT: 'abc' },
      'LICENSOR_PORTAL_PORT must be a whole number from 0 to 65535',
    ],
  ])(
    'refuses %j at start: exit 2 naming it, no stack trace, no data folder, no hang',
    async (env, message) => {
      const empty = mkdtempSync(join(tmpdir(), 'licensor-portal-cli-env-'));
      try {
        const data = join(empty, 'store');
        const port = 'LICENSOR_PORTAL_PORT' in env ? [] : ['--port', '0'];
        const refused = await ended(run(['serve', ...port, '--data', data], env));
        expect(refused.hung).toBe(false);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(
          /^error: ERR_USAGE: [^\n]+\nSee `licensor-portal serve --help`\.\n$/,
        );
        expect(refused.stderr).toContain(message);
        expect(refused.stdout).toBe('');
        expect(existsSync(data)).toBe(false);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    },
  );

  it('refuses a port that is taken: exit 1 naming the address, no stack trace, no hang', async () => {
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const { port } = holder.address() as { port: number };
    try {
      const refused = await ended(
        run(['serve', '--port', String(port), '--data', dataDir], { LICENSOR_WEBHOOKS: 'off' }),
      );
      expect(refused.hung).toBe(false);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(
        `error: ERR_LISTEN_FAILED: Cannot listen on 127.0.0.1:${port} (EADDRINUSE): the port is taken: stop what holds it, or pick another --port (or LICENSOR_PORTAL_PORT).\n`,
      );
    } finally {
      holder.close();
    }
  });

  it('exits 2 naming the variable when a webhook event setting is out of range, opening nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'licensor-portal-cli-env-'));
    try {
      const data = join(empty, 'store');
      const bad = await output(
        run(['serve', '--port', '0', '--data', data], { LICENSOR_NEAR_CAP_PERCENT: '150' }),
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        'error: ERR_USAGE: LICENSOR_NEAR_CAP_PERCENT must be a number from 1 to 100',
      );
      expect(existsSync(data)).toBe(false);
      const slow = await output(
        run(['serve', '--port', '0', '--data', data], { LICENSOR_CHECK_INTERVAL_SECONDS: 'daily' }),
      );
      expect(slow.code).toBe(2);
      expect(slow.stderr).toContain('LICENSOR_CHECK_INTERVAL_SECONDS must be a number');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
