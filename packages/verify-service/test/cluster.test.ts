// `licensor-verify serve --workers N`: one port, N processes. Real processes on the embedded
// store: the checks are spread over the workers, /metrics on any of them counts them all, a
// killed worker is replaced, SIGTERM drains every worker, SIGHUP reaches every worker, and a
// refused start is reported once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type IssuerFixture,
  issueLicense,
  openIssuerFixture,
  passphrase,
} from './support/issuer-store.js';
import {
  bin,
  checkFor,
  exitOf,
  type LogEntry,
  logEvent,
  logLines,
  post,
  serveProcess,
} from './support/process.js';

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The number a Prometheus text gives for one series. */
function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no ${series} in the metrics`);
  return Number(line.slice(series.length + 1));
}

describe('licensor-verify serve --workers', () => {
  let fixture: IssuerFixture | undefined;
  afterEach(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });

  it('spreads checks over the workers, sums their metrics, and drains them all on SIGTERM', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    await fixture.store.close();

    const child = serveProcess(['--data', fixture.dataDir, '--workers', '2']);
    const entries: LogEntry[] = [];
    logLines(child, (entry) => entries.push(entry));
    const ready = await logEvent(child, 'cluster_ready');
    const url = `http://127.0.0.1:${(ready as { port?: number }).port}`;

    const sent = 8; // under the per-installation burst of each worker
    for (let i = 0; i < sent; i++) {
      expect((await post(url, checkFor(licenseId, installation))).status).toBe(200);
    }
    // Log lines are written asynchronously: wait for all of them.
    const valid = () => entries.filter((e) => e.outcome === 'VALID');
    await until(() => valid().length === sent);
    expect(new Set(valid().map((e) => e.pid)).size).toBe(2);

    // Whichever worker takes the scrape, it reports the whole service.
    for (let i = 0; i < 2; i++) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(sample(metrics, 'licensor_verify_workers')).toBe(2);
      expect(sample(metrics, 'licensor_verify_checks_total{outcome="VALID"}')).toBe(sent);
      expect(sample(metrics, 'licensor_verify_check_duration_seconds_count')).toBe(sent);
    }

    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(entries.filter((e) => e.event === 'stopped' && e.role !== 'primary')).toHaveLength(2);

    const store = await openStore({ dataDir: fixture.dataDir });
    const issuer = await openIssuer({ store, passphrase });
    expect(await issuer.listChecks(licenseId)).toHaveLength(sent);
    await store.close();
  });

  it('replaces a worker that dies and keeps answering', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const child = serveProcess(['--data', fixture.dataDir, '--workers', '2']);
    try {
      const ready = await logEvent(child, 'cluster_ready');
      const url = `http://127.0.0.1:${(ready as { port?: number }).port}`;
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(sample(metrics, 'licensor_verify_workers')).toBe(2);

      const entries: LogEntry[] = [];
      logLines(child, (entry) => entries.push(entry));
      await post(url, checkFor(licenseId, installation));
      await until(() => entries.some((e) => e.outcome === 'VALID'));
      const victim = entries.find((e) => e.outcome === 'VALID')!.pid!;
      const exitedLog = logEvent(child, 'worker_exited');
      const replacement = logEvent(child, 'listening');
      process.kill(victim, 'SIGKILL');
      expect(await exitedLog).toMatchObject({ workerPid: victim, signal: 'SIGKILL' });
      expect((await replacement).pid).not.toBe(victim);

      for (let i = 0; i < 4; i++) {
        expect((await post(url, checkFor(licenseId, installation))).status).toBe(200);
      }
      const after = await (await fetch(`${url}/metrics`)).text();
      expect(sample(after, 'licensor_verify_workers')).toBe(2);
    } finally {
      const exited = exitOf(child);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('relays SIGHUP: every worker reloads the status keys', async () => {
    fixture = await openIssuerFixture();
    const child = serveProcess(['--data', fixture.dataDir, '--workers', '2']);
    try {
      await logEvent(child, 'cluster_ready');
      const rotated = await fixture.issuer.keys.rotate('status', 'vendor');
      const reloaded: LogEntry[] = [];
      const bothReloaded = new Promise<void>((resolve) => {
        logLines(child, (entry) => {
          if (entry.event === 'status_keys_reloaded') reloaded.push(entry);
          if (reloaded.length === 2) resolve();
        });
      });
      child.kill('SIGHUP');
      await bothReloaded;
      expect(reloaded.map((e) => e.kid)).toEqual([rotated.kid, rotated.kid]);
      expect(new Set(reloaded.map((e) => e.pid)).size).toBe(2);
    } finally {
      const exited = exitOf(child);
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('reports a refused start once and exits 1, without restarting workers', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-empty-'));
    try {
      const run = spawnSync(
        process.execPath,
        [bin, 'serve', '--port', '0', '--data', dataDir, '--workers', '3'],
        {
          encoding: 'utf8',
          env: { ...process.env, MONGODB_URI: '', LICENSOR_KEY_PASSPHRASE: passphrase },
          timeout: 20_000,
        },
      );
      expect(run.status).toBe(1);
      expect(run.stderr.match(/^error: ERR_[A-Z_]+: /gm)).toHaveLength(1);
      expect(run.stdout).not.toContain('worker_exited');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a worker count that is not a whole number from 1 to 256 (exit 2)', () => {
    for (const workers of ['0', 'two', '1.5', '257']) {
      const run = spawnSync(process.execPath, [bin, 'serve', '--workers', workers], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('--workers must be a whole number from 1 to 256, or auto');
    }
  });
});
