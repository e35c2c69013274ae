// `pnpm start`'s script on a fresh data folder: the first run makes the keys and an admin and
// prints the login once; a later run just starts; Ctrl-C (SIGINT) stops both services cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
    if (Date.now() > deadline) throw new Error(`start did not come up:\n${output}`);
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
      const admin = await PortalClient.login(
        `http://127.0.0.1:${portalPort}`,
        login![1]!,
        login![2]!,
      );
      const keys = await admin.get<{ items: Array<{ purpose: string }> }>('/keys');
      expect(keys.items.map((k) => k.purpose).sort()).toEqual(['license', 'status']);
      expect(existsSync(join(data.path, 'jwks.json'))).toBe(true);
    } finally {
      expect(await started.stop('SIGINT')).toBe(0);
    }
  });

  it('simply starts on a later run, and stops both services on Ctrl-C', async () => {
    const [portalPort, verifyPort] = [await freePort(), await freePort()];
    const started = await startLicensor(data.path, portalPort, verifyPort);
    expect(started.output()).not.toMatch(/password/);
    expect(await started.stop('SIGINT')).toBe(0);
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
