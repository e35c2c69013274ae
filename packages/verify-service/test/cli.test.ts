// `licensor-verify serve` as an operator runs it: a real process on the embedded store, a check
// over HTTP, then SIGTERM: the process exits 0 only after the buffered check records are in the
// store. Also the refusals: usage errors exit 2, a store without status keys exits 1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  type LogEntry,
  listeningUrl,
  logEvent,
  logLines,
  post,
  serveEnv,
  serveProcess,
  stopped,
} from './support/process.js';

/** `licensor-verify serve ARGS` to its end, on the SQLite store, with the status passphrase. */
function serveSync(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, 'serve', ...args], {
    encoding: 'utf8',
    env: serveEnv(env),
    timeout: 30_000,
  });
}

describe('licensor-verify serve', () => {
  let fixture: IssuerFixture | undefined;
  afterEach(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'answers checks and, on %s, writes the buffered check records before exiting 0',
    async (signal) => {
      fixture = await openIssuerFixture();
      const { installation, licenseId } = await issueLicense(fixture.issuer);
      await fixture.store.close();

      // No timed flush for ten minutes: the records reach the store only by the stop's drain.
      const child = serveProcess(['--data', fixture.dataDir, '--record-flush-ms', '600000']);
      const url = await listeningUrl(child);
      for (let i = 0; i < 3; i++) {
        expect((await post(url, checkFor(licenseId, installation))).status).toBe(200);
      }
      expect(await stopped(child, signal)).toBe(0);

      const store = await openStore({ dataDir: fixture.dataDir });
      const issuer = await openIssuer({ store, ...issuerSecrets });
      expect(await issuer.listChecks(licenseId)).toHaveLength(3);
      await store.close();
    },
  );

  it("writes a check's log line while it runs, within the flush interval, though lines gather into blocks", async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const child = serveProcess(['--data', fixture.dataDir]);
    try {
      const url = await listeningUrl(child);
      // One line is far less than a block (LOG_BLOCK_BYTES): the periodic flush writes it.
      const answered = new Promise<LogEntry>((resolve) => {
        const stop = logLines(child, (entry) => {
          if (entry.outcome === undefined) return;
          stop();
          resolve(entry);
        });
      });
      expect((await post(url, checkFor(licenseId, installation))).status).toBe(200);
      expect((await answered).outcome).toBe('VALID');
    } finally {
      await stopped(child);
    }
  });

  it('warns once at start when /metrics is open on an address other than loopback, not with a token', async () => {
    fixture = await openIssuerFixture();
    const open = serveProcess(['--data', fixture.dataDir, '--host', '0.0.0.0']);
    const seen: LogEntry[] = [];
    logLines(open, (entry) => seen.push(entry));
    try {
      const warning = await logEvent(open, 'metrics_open');
      expect(warning).toMatchObject({ host: '0.0.0.0' });
      expect((warning as { msg?: string }).msg).toMatch(/LICENSOR_METRICS_TOKEN/);
    } finally {
      await stopped(open);
    }
    expect(seen.filter((entry) => entry.event === 'metrics_open')).toHaveLength(1);
    // With a token, or bound to loopback: no warning (the process says 'listening', then stops).
    for (const [args, env] of [
      [['--host', '0.0.0.0'], { LICENSOR_METRICS_TOKEN: 'c0ffee00c0ffee00c0ffee00' }],
      [['--host', '127.0.0.1'], {}],
    ] as const) {
      const child = serveProcess(['--data', fixture.dataDir, ...args], env);
      const lines: LogEntry[] = [];
      logLines(child, (entry) => lines.push(entry));
      await listeningUrl(child);
      expect(await stopped(child)).toBe(0);
      expect(lines.filter((entry) => entry.event === 'metrics_open')).toEqual([]);
    }
  });

  it('signs with a rotated status key after SIGHUP, without a restart', async () => {
    fixture = await openIssuerFixture();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const child = serveProcess(['--data', fixture.dataDir]);
    try {
      const url = await listeningUrl(child);
      const rotated = await fixture.issuer.keys.rotate('status', 'vendor');
      await fixture.issuer.keys.activate(rotated.kid, 'vendor');
      const reloaded = logEvent(child, 'status_keys_reloaded');
      child.kill('SIGHUP');
      expect((await reloaded).kid).toBe(rotated.kid);
      const status = await (await post(url, checkFor(licenseId, installation))).text();
      expect(JSON.parse(Buffer.from(status.split('.')[0]!, 'base64url').toString()).kid).toBe(
        rotated.kid,
      );
    } finally {
      await stopped(child);
    }
  });

  it('exits 1 with the code when the store holds no status key', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-empty-'));
    try {
      const run = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--data', dataDir], {
        encoding: 'utf8',
        env: {
          ...process.env,
          MONGODB_URI: '',
          LICENSOR_KEY_PASSPHRASE: '',
          LICENSOR_STATUS_KEY_PASSPHRASE: passphrase,
        },
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^error: ERR_[A-Z_]+: /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('names the data folder it opened when that store holds no status key, and says to check --data before running init', async () => {
    // A store with its tables and no keys: what a mistyped --data made before the issuer refused it.
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-keyless-'));
    try {
      await (await openStore({ dataDir })).close();
      for (const asJson of [false, true]) {
        const result = serveSync(['--port', '0', '--data', dataDir, ...(asJson ? ['--json'] : [])]);
        expect(result.status).toBe(1);
        const text = asJson
          ? (
              JSON.parse(result.stdout.trim().split('\n').pop()!) as {
                error: { code: string; message: string };
              }
            ).error
          : { code: /^error: (ERR_[A-Z_]+): /.exec(result.stderr)?.[1], message: result.stderr };
        expect(text.code).toBe('ERR_NO_STATUS_KEY');
        expect(text.message).toContain(`The store in ${dataDir} holds no status signing key`);
        expect(text.message).toMatch(
          /check that --data \(or LICENSOR_DATA\).*MONGODB_URI.*licensor-issuer --data/,
        );
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('prints the refusal as JSON on stdout with --json', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-empty-'));
    try {
      const run = spawnSync(
        process.execPath,
        [bin, 'serve', '--json', '--port', '0', '--data', dataDir],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            MONGODB_URI: '',
            LICENSOR_KEY_PASSPHRASE: '',
            LICENSOR_STATUS_KEY_PASSPHRASE: passphrase,
          },
        },
      );
      expect(run.status).toBe(1);
      const refusal = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
        error: { code: string };
      };
      expect(refusal.error.code).toMatch(/^ERR_[A-Z_]+$/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits 1 when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    fixture = await openIssuerFixture();
    await fixture.store.close();
    try {
      const run = spawnSync(
        process.execPath,
        [bin, 'serve', '--port', String(port), '--data', fixture.dataDir],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            MONGODB_URI: '',
            LICENSOR_KEY_PASSPHRASE: '',
            LICENSOR_STATUS_KEY_PASSPHRASE: passphrase,
          },
        },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('error: ERR_LISTEN_FAILED');
    } finally {
      blocker.close();
    }
  });

  it.each([
    ['one process', []],
    ['--workers 2', ['--workers', '2']],
  ])(
    'refuses an address it cannot listen on as ERR_LISTEN_FAILED naming host and port, as JSON with --json, never a stack trace (%s)',
    async (_name, workers) => {
      fixture = await openIssuerFixture();
      await fixture.store.close();
      for (const host of ['10.255.255.1', 'no.such.host.invalid']) {
        const args = ['--port', '4391', '--host', host, '--data', fixture.dataDir, ...workers];
        const text = serveSync(args);
        expect(text.status, host).toBe(1);
        expect(text.stderr).toMatch(
          new RegExp(
            `^error: ERR_LISTEN_FAILED: Cannot listen on ${host.replaceAll('.', '\\.')}:4391: .*--host`,
          ),
        );
        expect(text.stderr).not.toMatch(/ERR_INTERNAL|\n\s+at /);
        const json = serveSync(['--json', ...args]);
        expect(json.status, host).toBe(1);
        const refusal = json.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { error?: { code: string; message: string } })
          .find((line) => line.error !== undefined);
        expect(refusal?.error?.code).toBe('ERR_LISTEN_FAILED');
        expect(refusal?.error?.message).toContain(`${host}:4391`);
        expect(json.stderr).toBe('');
      }
    },
  );

  it('binds loopback, not every interface, when LICENSOR_VERIFY_HOST is set but empty; an empty --host is a usage error', async () => {
    fixture = await openIssuerFixture();
    const child = serveProcess(['--data', fixture.dataDir], { LICENSOR_VERIFY_HOST: '' });
    try {
      expect(await listeningUrl(child)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await stopped(child);
    }
    const empty = serveSync(['--port', '0', '--host', '', '--data', fixture.dataDir]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/^error: ERR_USAGE: --host must not be empty/);
  });

  it('exits 2 naming the levels on a log level pino does not know, the cluster primary too; takes WARNING', async () => {
    for (const [args, env] of [
      [['--log-level', 'verbose'], {}],
      [['--log-level', ''], {}],
      [['--workers', '2'], { LOG_LEVEL: 'verbose' }],
    ] as const) {
      const result = serveSync(['--port', '0', '--data', '/nonexistent', ...args], env);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: ERR_USAGE: (--log-level|LOG_LEVEL) must /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    fixture = await openIssuerFixture();
    const child = serveProcess(['--data', fixture.dataDir], { LOG_LEVEL: 'WARNING' });
    try {
      const warned = new Promise<string>((resolve) => {
        child.stderr!.on('data', (chunk: Buffer) => resolve(chunk.toString()));
        child.once('exit', () => resolve('exited'));
        setTimeout(() => resolve('running'), 1_500);
      });
      expect(await warned).toBe('running');
    } finally {
      expect(await stopped(child)).toBe(0);
    }
  });

  it('exits 2 on a usage error: the error and one line on where the help is (#16.19)', () => {
    const run = spawnSync(process.execPath, [bin, 'serve', '--port', 'abc'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'error: ERR_USAGE: --port must be a whole number from 0 to 65535; got "abc"\nSee `licensor-verify serve --help`.\n',
    );
    // A wrong value from the environment is blamed on the variable, not the flag.
    const fromEnv = serveSync(['--data', '/nonexistent'], { LICENSOR_VERIFY_PORT: 'abc' });
    expect(fromEnv.status).toBe(2);
    expect(fromEnv.stderr).toMatch(
      /^error: ERR_USAGE: LICENSOR_VERIFY_PORT must be a whole number from 0 to 65535; got "abc"\n/,
    );
    const unknown = spawnSync(process.execPath, [bin, 'launch'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(
      'error: ERR_USAGE: unknown command "launch"\nSee `licensor-verify --help`.\n',
    );
  });

  it('exits 2 before opening the store when LICENSOR_METRICS_TOKEN is short or holds a space', () => {
    for (const token of ['short-token', 'two words, long enough for it']) {
      const run = spawnSync(process.execPath, [bin, 'serve', '--port', '0'], {
        encoding: 'utf8',
        env: { ...process.env, LICENSOR_METRICS_TOKEN: token, LICENSOR_DATA: '/nonexistent' },
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(
        /^error: ERR_USAGE: LICENSOR_METRICS_TOKEN must .*openssl rand -hex 16.*\nSee `licensor-verify serve --help`\.\n$/,
      );
    }
  });

  it('answers --version and --help in the format of the other CLIs (#10.3)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(version).toMatchObject({ status: 0, stdout: `licensor-verify ${pkg.version}\n` });
    const help = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: licensor-verify serve \[options\]\n/);
    expect(help.stdout).toMatch(/--data DIR +data folder of the issuer/);
    expect(help.stdout).toMatch(/-V, --version +print the version/);
    // SIGHUP signs with a status key once `keys activate` made it active, not after a rotate alone.
    const details = help.stdout.replace(/\s+/g, ' ');
    expect(details).toContain(
      'SIGHUP reloads the status keys and the signed key sets from the store: send it after `licensor-issuer keys activate KID` of a status key to sign with that key',
    );
    expect(details).not.toMatch(
      /SIGHUP reloads the status keys from the store \(after `licensor-issuer keys rotate/,
    );
  });
});
