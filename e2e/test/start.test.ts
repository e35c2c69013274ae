// `pnpm start`'s script on a fresh data folder: the first run makes the keys and an admin and
// prints the login once; a later run just starts; Ctrl-C (SIGINT) stops both services cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PortalClient } from '../src/portal-client.js';
import { bins, freePort, repoRoot, run } from '../src/processes.js';
import { tempDir } from './helpers.js';

interface Started {
  output: () => string;
  stop: (signal: NodeJS.Signals) => Promise<number | null>;
}

async function startLicensor(
  dataDir: string,
  portalPort: number,
  verifyPort: number,
  env: Record<string, string> = {},
): Promise<Started> {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts/start.mjs')], {
    env: {
      ...process.env,
      MONGODB_URI: '',
      LICENSOR_DATA: dataDir,
      // The run's own secrets, never the checkout's .licensor-secrets (a developer's real ones).
      LICENSOR_SECRETS: join(dataDir, 'secrets'),
      LICENSOR_KEY_PASSPHRASE: '',
      LICENSOR_STATUS_KEY_PASSPHRASE: '',
      LICENSOR_PORTAL_PORT: String(portalPort),
      LICENSOR_VERIFY_PORT: String(verifyPort),
      ...env,
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

/** A start on a folder that is not expected to come up: its exit code and output. */
async function startRefused(dataDir: string, secretsDir: string) {
  const [portalPort, verifyPort] = [await freePort(), await freePort()];
  return spawnSync(process.execPath, [join(repoRoot, 'scripts/start.mjs')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      MONGODB_URI: '',
      LICENSOR_DATA: dataDir,
      LICENSOR_SECRETS: secretsDir,
      LICENSOR_KEY_PASSPHRASE: '',
      LICENSOR_STATUS_KEY_PASSPHRASE: '',
      LICENSOR_PORTAL_PORT: String(portalPort),
      LICENSOR_VERIFY_PORT: String(verifyPort),
    },
    timeout: 60_000,
  });
}

/**
 * What docs/deploying.md has an operator back up and restore, copied from a stopped store: the
 * store file (and its log, if one is left) and the keys folder; never the `.initialised` marker.
 */
function restoreInto(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    if (name.startsWith('licensor.db') || name === 'keys') {
      cpSync(join(from, name), join(to, name), { recursive: true });
    }
  }
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

  it('starts on a restored backup (no marker) with its secrets, and without them refuses, making no secret', async () => {
    // The store of the runs above, stopped: restored into a new folder with its keys folder.
    const restored = tempDir('start-restored');
    try {
      restoreInto(data.path, restored.path);
      expect(existsSync(join(restored.path, 'licensor.db'))).toBe(true);
      const marker = join(restored.path, '.initialised');
      // Secrets lost: new random ones would open none of the sealed keys.
      const noSecrets = join(restored.path, 'no-secrets');
      const refused = await startRefused(restored.path, noSecrets);
      const said = refused.stdout + refused.stderr;
      expect(refused.status).toBe(1);
      expect(said).toMatch(/existing store .*signing keys are sealed/);
      expect(said).toContain(`${join(noSecrets, 'issuing.passphrase')} does not exist`);
      expect(said).toMatch(/no marker was written[\s\S]*LICENSOR_SECRETS/);
      expect(said).not.toMatch(/Licensor is running|ERR_USER_EXISTS/);
      expect(existsSync(noSecrets)).toBe(false);
      expect(existsSync(marker)).toBe(false);

      // With the secrets kept apart from the backup, it starts: the store's own users, no new
      // admin (before, `users add admin` failed with ERR_USER_EXISTS), and the marker written.
      cpSync(join(data.path, 'secrets'), join(restored.path, 'secrets'), { recursive: true });
      const [portalPort, verifyPort] = [await freePort(), await freePort()];
      const started = await startLicensor(restored.path, portalPort, verifyPort);
      try {
        expect(started.output()).not.toMatch(/password|ERR_/);
        const admin = await PortalClient.login(
          `http://127.0.0.1:${portalPort}`,
          'admin',
          'the first admin chose this passphrase',
        );
        expect(admin.passwordChangeRequired).toBe(false);
      } finally {
        expect(await started.stop('SIGINT')).toBe(0);
      }
      expect(existsSync(marker)).toBe(true);
    } finally {
      restored.remove();
    }
  });

  it('names the environment as where the secrets came from when they are set there, and makes no files', async () => {
    const fresh = tempDir('start-env-secrets');
    try {
      const [portalPort, verifyPort] = [await freePort(), await freePort()];
      const started = await startLicensor(fresh.path, portalPort, verifyPort, {
        LICENSOR_KEY_PASSPHRASE: 'an issuing secret from the shell, long enough',
        LICENSOR_STATUS_KEY_PASSPHRASE: 'a status secret from the shell, long enough',
      });
      try {
        const said = started.output();
        expect(said).toContain(
          'license keys under the secret in LICENSOR_KEY_PASSPHRASE (from this shell',
        );
        expect(said).toContain('status keys under the secret in LICENSOR_STATUS_KEY_PASSPHRASE');
        expect(said).toMatch(/this new store is sealed under them; keep them with it/);
        // No `cat` of a file that was never written.
        expect(said).not.toMatch(/export LICENSOR_\w+="\$\(cat/);
      } finally {
        expect(await started.stop('SIGINT')).toBe(0);
      }
      expect(existsSync(join(fresh.path, 'secrets'))).toBe(false);
    } finally {
      fresh.remove();
    }
  });

  it('starts a restored store of plain key files (made without secrets) without making any', async () => {
    const made = tempDir('start-plain');
    const restored = tempDir('start-plain-restored');
    try {
      // SQLite in the data folder even where the suite runs with MONGODB_URI (CI): the folder is restored.
      const plain = {
        LICENSOR_KEY_PASSPHRASE: '',
        LICENSOR_STATUS_KEY_PASSPHRASE: '',
        MONGODB_URI: '',
      };
      expect((await run(bins.issuer, ['--data', made.path, 'init'], { env: plain })).code).toBe(0);
      const users = ['--data', made.path, 'users', 'add', 'ops', '--role', 'admin'];
      expect((await run(bins.issuer, users, { env: plain })).code).toBe(0);
      restoreInto(made.path, restored.path);
      expect(existsSync(join(restored.path, 'keys'))).toBe(true);
      const [portalPort, verifyPort] = [await freePort(), await freePort()];
      const started = await startLicensor(restored.path, portalPort, verifyPort);
      try {
        expect(started.output()).not.toMatch(/log in to the portal|ERR_/);
      } finally {
        expect(await started.stop('SIGINT')).toBe(0);
      }
      expect(existsSync(join(restored.path, 'secrets'))).toBe(false);
      expect(existsSync(join(restored.path, '.initialised'))).toBe(true);
    } finally {
      made.remove();
      restored.remove();
    }
  });
});
