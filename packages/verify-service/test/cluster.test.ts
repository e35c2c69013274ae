// `licensor-verify serve --workers N`: one port, N processes. Real processes on the embedded
// store: the checks are spread over the workers, /metrics on any of them shows them all (one
// series per worker slot, monotonic across a replacement), dead workers are replaced (even all
// at once), SIGTERM drains every worker (also when the whole process group gets it), SIGHUP
// reaches every worker (also when it comes during the start), and a refused start is reported
// once.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type IssuerFixture,
  issueLicense,
  issuerSecrets,
  openIssuerFixture,
  passphrase,
} from './support/issuer-store.js';
import {
  bin,
  checkFor,
  exitOf,
  getFresh,
  type LogEntry,
  logEvent,
  logLines,
  post,
  serveProcess,
  stopped,
} from './support/process.js';
import { parseExposition } from './support/prometheus.js';

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The value of each series of `name` (labels included in the key). */
function series(metrics: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

function total(metrics: string, name: string, labels = ''): number {
  let sum = 0;
  for (const [key, value] of series(metrics, name)) if (key.includes(labels)) sum += value;
  return sum;
}

async function scrape(url: string): Promise<string> {
  const answer = await getFresh(`${url}/metrics`);
  expect(answer.status).toBe(200);
  parseExposition(answer.body); // throws unless a Prometheus scrape would accept it
  return answer.body;
}

/** Starts `--workers 2`; resolves with its URL once both workers listen. */
async function startCluster(
  dataDir: string,
  entries: LogEntry[],
  options: { detached?: boolean; port?: number } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const port = options.port === undefined ? [] : ['--port', String(options.port)];
  const child = serveProcess(['--data', dataDir, '--workers', '2', ...port], {}, options);
  logLines(child, (entry) => entries.push(entry));
  const ready = await logEvent(child, 'cluster_ready');
  return { child, url: `http://127.0.0.1:${ready.port}` };
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function stopCluster(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return stopped(child);
}

describe('licensor-verify serve --workers', () => {
  let fixture: IssuerFixture | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child !== undefined) await stopCluster(child);
    child = undefined;
    await fixture?.cleanup();
    fixture = undefined;
  });

  it('spreads checks over the workers, shows every worker on /metrics, and drains them all on SIGTERM', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    await fixture.store.close();
    const entries: LogEntry[] = [];
    const started = await startCluster(fixture.dataDir, entries);
    child = started.child;

    const sent = 8; // under the per-installation burst of each worker
    for (let i = 0; i < sent; i++) {
      expect((await post(started.url, checkFor(licenseId, installation))).status).toBe(200);
    }
    // Log lines are written asynchronously: wait for all of them.
    const valid = () => entries.filter((e) => e.outcome === 'VALID');
    await until(() => valid().length === sent);
    expect(new Set(valid().map((e) => e.worker))).toEqual(new Set([1, 2]));

    // Whichever worker takes the scrape (each on a new connection), it shows both.
    for (let i = 0; i < 4; i++) {
      const metrics = await scrape(started.url);
      expect(total(metrics, 'licensor_verify_workers')).toBe(2);
      const valids = series(metrics, 'licensor_verify_checks_total');
      const one = valids.get('licensor_verify_checks_total{outcome="VALID",worker="1"}')!;
      const two = valids.get('licensor_verify_checks_total{outcome="VALID",worker="2"}')!;
      expect(one).toBeGreaterThan(0);
      expect(two).toBeGreaterThan(0);
      expect(one + two).toBe(sent);
      expect(total(metrics, 'licensor_verify_check_duration_seconds_count')).toBe(sent);
    }

    expect(await stopCluster(child)).toBe(0);
    expect(entries.filter((e) => e.event === 'stopped' && e.worker !== undefined)).toHaveLength(2);
    expect(entries.filter((e) => e.event === 'unparsable_line')).toEqual([]);

    const store = await openStore({ dataDir: fixture.dataDir });
    const issuer = await openIssuer({ store, ...issuerSecrets });
    expect(await issuer.listChecks(licenseId)).toHaveLength(sent);
    await store.close();
  });

  it('replaces a worker that dies in its slot: the other slot counts on, the new one from zero', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const entries: LogEntry[] = [];
    const started = await startCluster(fixture.dataDir, entries);
    child = started.child;
    for (let i = 0; i < 4; i++) await post(started.url, checkFor(licenseId, installation));
    await until(() => entries.filter((e) => e.outcome === 'VALID').length === 4);
    const victim = entries.find((e) => e.outcome === 'VALID' && e.worker === 1)!.pid!;
    const before = series(await scrape(started.url), 'licensor_verify_checks_total');

    const replacement = new Promise<LogEntry>((resolve) =>
      logLines(child!, (e) => e.event === 'listening' && e.pid !== victim && resolve(e)),
    );
    process.kill(victim, 'SIGKILL');
    expect(await replacement).toMatchObject({ worker: 1 });
    expect(entries.find((e) => e.event === 'worker_exited')).toMatchObject({
      worker: 1,
      workerPid: victim,
      signal: 'SIGKILL',
    });

    const after = series(await scrape(started.url), 'licensor_verify_checks_total');
    const slot2 = 'licensor_verify_checks_total{outcome="VALID",worker="2"}';
    expect(after.get(slot2)).toBe(before.get(slot2));
    expect(after.get('licensor_verify_checks_total{outcome="VALID",worker="1"}')).toBe(0);
    for (let i = 0; i < 4; i++) {
      expect((await post(started.url, checkFor(licenseId, installation))).status).toBe(200);
    }
  });

  it('restarts the workers when all of them die at once, instead of exiting', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const entries: LogEntry[] = [];
    // A fixed port, as in production: with every worker gone the port is closed, and the new
    // workers bind it again (with --port 0 they would get another one).
    const started = await startCluster(fixture.dataDir, entries, { port: await freePort() });
    child = started.child;
    const listening = () => entries.filter((e) => e.event === 'listening');
    await until(() => listening().length === 2);
    const pids = listening().map((e) => e.pid!);
    for (const pid of pids) process.kill(pid, 'SIGKILL');

    await until(
      () => entries.filter((e) => e.event === 'listening' && !pids.includes(e.pid!)).length === 2,
    );
    expect(child.exitCode).toBeNull();
    expect((await post(started.url, checkFor(licenseId, installation))).status).toBe(200);
  });

  it('drains every worker when the whole process group gets SIGTERM (systemd, pkill)', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    await fixture.store.close();
    const entries: LogEntry[] = [];
    const started = await startCluster(fixture.dataDir, entries, { detached: true });
    child = started.child;
    for (let i = 0; i < 6; i++) {
      expect((await post(started.url, checkFor(licenseId, installation))).status).toBe(200);
    }
    const exited = exitOf(child);
    process.kill(-child.pid!, 'SIGTERM'); // each worker gets it directly, then from the primary
    expect(await exited).toBe(0);

    const store = await openStore({ dataDir: fixture.dataDir });
    const issuer = await openIssuer({ store, ...issuerSecrets });
    expect(await issuer.listChecks(licenseId)).toHaveLength(6);
    await store.close();
  });

  it('relays SIGHUP: every worker reloads the status keys, and a SIGHUP during the start is harmless', async () => {
    fixture = await openIssuerFixture();
    const entries: LogEntry[] = [];
    child = serveProcess(['--data', fixture.dataDir, '--workers', '2']);
    logLines(child, (entry) => entries.push(entry));
    const ready = logEvent(child, 'cluster_ready');
    await logEvent(child, 'listening'); // the first worker listens, the second is starting
    child.kill('SIGHUP');
    await ready;
    expect(entries.some((e) => e.event === 'worker_exited')).toBe(false);

    const rotated = await fixture.issuer.keys.rotate('status', 'vendor');
    await fixture.issuer.keys.activate(rotated.kid, 'vendor');
    const reloaded = () =>
      entries.filter((e) => e.event === 'status_keys_reloaded' && e.kid === rotated.kid);
    child.kill('SIGHUP');
    await until(() => reloaded().length === 2);
    expect(new Set(reloaded().map((e) => e.worker))).toEqual(new Set([1, 2]));
  });

  it('stops cleanly (exit 0) on a SIGTERM that comes while the workers start', async () => {
    fixture = await openIssuerFixture();
    await fixture.store.close();
    child = serveProcess(['--data', fixture.dataDir, '--workers', '2']);
    await logEvent(child, 'listening');
    expect(await stopCluster(child)).toBe(0);
  });

  it('reports a refused start once and exits 1, without restarting workers', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-empty-'));
    try {
      const run = spawnSync(
        process.execPath,
        [bin, 'serve', '--port', '0', '--data', dataDir, '--workers', '3'],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            MONGODB_URI: '',
            LICENSOR_KEY_PASSPHRASE: '',
            LICENSOR_STATUS_KEY_PASSPHRASE: passphrase,
          },
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
