// `pnpm start`'s script on a fresh data folder: the first run makes the keys and an admin and
// prints the login once; a later run just starts; Ctrl-C (SIGINT) stops both services cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PortalClient } from '../src/portal-client.js';
import { freePort, repoRoot } from '../src/processes.js';
import { tempDir } from './helpers.js';

interface Started {
  output: () => string;
  stop: (signal: NodeJS.Signals) => Promise<number | null>;
}

async function startLicensor(
  dataDir: string,
  portalPort: number,
  verifyPort: number,
): Promise<Started> {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts/start.mjs')], {
    env: {
      ...process.env,
      MONGODB_URI: '',
      LICENSOR_DATA: dataDir,
      // The run's own secrets, never the checkout's .licensor-secrets (a developer's real ones).
      LICENSOR_SECRETS: join(dataDir, 'secrets'),
      LICENSOR_PORTAL_PORT: String(portalPort),
      LICENSOR_VERIFY_PORT: String(verifyPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`start exited early:\n${output}`);
    if (Date.now() > deadline) {
      // Never leave the script (and the services it started) running behind a failed test.
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`start did not come up:\n${output}`);
    }
    const up = await Promise.all([
      fetch(`http://127.0.0.1:${portalPort}/api/v1/health`).then(
        (r) => r.ok,
        () => false,
      ),
      fetch(`http://127.0.0.1:${verifyPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    ]);
    if (up.every(Boolean) && output.includes('Ctrl-C')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    output: () => output,
    stop: async (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

describe('the start script', () => {
  const data = tempDir('start');
  afterAll(() => data.remove());

  it('creates keys and an admin on the first run and prints the login once', async () => {
    const [portalPort, verifyPort] = [await freePort(), await freePort()];
    const started = await startLicensor(data.path, portalPort, verifyPort);
    try {
      const login = /log in to the portal as "(\S+)" with password (\S+)/.exec(started.output());
      expect(login).not.toBeNull();
      // Both secrets as lines a shell exports as they are pasted (the CLI's issuing and status).
      expect(started.output()).toMatch(
        /\n\s*export LICENSOR_KEY_PASSPHRASE="\$\(cat [^\n]*issuing\.passphrase\)"\n\s*export LICENSOR_STATUS_KEY_PASSPHRASE="\$\(cat [^\n]*status\.passphrase\)"\n/,
      );
      const admin = await PortalClient.login(
        `http://127.0.0.1:${portalPort}`,
        login![1]!,
        login![2]!,
      );
      // The printed password is one-time: the portal answers nothing else until the admin
      // chooses their own (#16.21).
      expect(admin.passwordChangeRequired).toBe(true);
      await expect(admin.get('/keys')).rejects.toMatchObject({
        status: 403,
        code: 'ERR_PASSWORD_CHANGE_REQUIRED',
      });
      await admin.changePassword(login![2]!, 'the first admin chose this passphrase');
      expect(admin.passwordChangeRequired).toBe(false);
      const keys = await admin.get<{ items: Array<{ purpose: string }> }>('/keys');
      expect(keys.items.map((k) => k.purpose).sort()).toEqual(['license', 'status']);
      expect(existsSync(join(data.path, 'jwks.json'))).toBe(true);
    } finally {
      expect(await started.stop('SIGINT')).toBe(0);
    }
  });

  it('on a taken port names it and the variables, before it starts or creates anything (#16.17)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const portalPort = (blocker.address() as { port: number }).port;
    const verifyPort = await freePort();
    const fresh = tempDir('start-busy');
    try {
      const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/start.mjs')], {
        encoding: 'utf8',
        env: {
          ...process.env,
          MONGODB_URI: '',
          LICENSOR_DATA: fresh.path,
          LICENSOR_SECRETS: join(fresh.path, 'secrets'),
          LICENSOR_PORTAL_PORT: String(portalPort),
          LICENSOR_VERIFY_PORT: String(verifyPort),
        },
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      const output = run.stdout + run.stderr;
      expect(output).toContain(`port ${portalPort} (the portal) is in use`);
      expect(output).not.toContain(`port ${verifyPort}`.concat(' (the verify service) is in use'));
      expect(output).toMatch(/LICENSOR_PORTAL_PORT=\d+ LICENSOR_VERIFY_PORT=\d+ pnpm start/);
      // Moving the ports alone starts a second Licensor on the same store: it says so.
      expect(output).toMatch(/same store[\s\S]*LICENSOR_DATA and LICENSOR_SECRETS/);
      expect(output).not.toMatch(/Licensor is running|--port/);
      expect(existsSync(join(fresh.path, 'licensor.db'))).toBe(false);
    } finally {
      blocker.close();
      fresh.remove();
    }
  });

  it('shows the build as it goes, one line per package, and its output when it fails (#16.18)', async () => {
    const { buildWithProgress } = await import(join(repoRoot, 'scripts/start-checks.mjs'));
    const fakeTurbo = (lines: string[], code: number) => [
      process.execPath,
      '-e',
      `${lines.map((line) => `console.log(${JSON.stringify(line)});`).join('')}process.exit(${code})`,
    ];
    let shown = '';
    const built = await buildWithProgress(
      repoRoot,
      (text: string) => {
        shown += text;
      },
      fakeTurbo(
        [
          '@licensor/token:build: cache hit, replaying logs 1a2b',
          '@licensor/sdk:build: cache miss, executing 3c4d',
          '@licensor/sdk:build: ESM Build success',
        ],
        0,
      ),
    );
    expect(built).toBe(0);
    expect(shown).toMatch(/^Building Licensor \(the first build takes a few minutes/);
    expect(shown).toMatch(
      /\n {2}@licensor\/token +up to date\n {2}@licensor\/sdk +building\.\.\.\n/,
    );
    expect(shown).toMatch(/Built in \d+ s\.\n$/);
    shown = '';
    const failed = await buildWithProgress(
      repoRoot,
      (text: string) => {
        shown += text;
      },
      fakeTurbo(['@licensor/sdk:build: cache miss, executing 3c4d', 'error TS2322: bad'], 2),
    );
    expect(failed).toBe(2);
    expect(shown).toMatch(/error TS2322: bad[\s\S]*The build failed \(exit 2\)/);
  });

  it('simply starts on a later run, and stops both services on Ctrl-C', async () => {
    const [portalPort, verifyPort] = [await freePort(), await freePort()];
    const started = await startLicensor(data.path, portalPort, verifyPort);
    let code: number | null;
    try {
      expect(started.output()).not.toMatch(/password/);
    } finally {
      code = await started.stop('SIGINT');
    }
    expect(code).toBe(0);
    const down = await Promise.all([
      fetch(`http://127.0.0.1:${portalPort}/api/v1/health`).then(
        () => false,
        () => true,
      ),
      fetch(`http://127.0.0.1:${verifyPort}/healthz`).then(
        () => false,
        () => true,
      ),
    ]);
    expect(down).toEqual([true, true]);
  });
});
