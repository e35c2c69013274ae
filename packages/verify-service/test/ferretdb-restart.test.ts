// The MongoDB-protocol store restarts under load: a FerretDB of this test's own (its own port
// and data folder, never the shared one) is killed while checks arrive and started again on the
// same data. While it is away a check is answered 200 (the license's record still cached and
// nothing else needed) or refused 503 ERR_STORE_UNAVAILABLE, never 500 and never after more
// than the store timeout; once it is back the same service answers 200 again without a
// restart; and every check answered 200 has its record in the store after the service stops.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@licensor/issuer/store';
import type { Ed25519KeyPair } from '@licensor/token';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServingProcess, serve } from '../src/serve.js';
import { issueLicense, openIssuerFixture, passphrase } from './support/issuer-store.js';
import { checkFor, post } from './support/process.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const SCRIPT = join(REPO, 'scripts', 'ferretdb.sh');

function ferretdbBinary(): string | null {
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    const bin = join(gopath, 'bin', 'ferretdb');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const available = ferretdbBinary() !== null;
const required = process.env.LICENSOR_REQUIRE_MONGO === '1';
if (!available && !required) {
  console.warn('FerretDB restart test skipped: no ferretdb binary (scripts/ferretdb.sh builds it)');
}

/** A port the OS says is free now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

class OwnFerretDb {
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  start(): string {
    return execFileSync('bash', [SCRIPT, String(this.port)], {
      encoding: 'utf8',
      env: { ...process.env, FERRETDB_DIR: this.dir },
    }).trim();
  }
  kill(): void {
    const pid = Number(readFileSync(join(this.dir, 'ferretdb.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    // Gone once the port refuses connections.
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${this.port}`], {
          stdio: 'ignore',
        });
      } catch {
        return;
      }
      execFileSync('sleep', ['0.05']);
    }
    throw new Error('FerretDB did not stop');
  }
}

describe.skipIf(!available && !required)('a FerretDB restart under load', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answers 200 or 503 (never 500) while it is away, 200 again once it is back, and loses no answered check', {
    timeout: 120_000,
  }, async () => {
    if (!available) throw new Error('LICENSOR_REQUIRE_MONGO=1 and no ferretdb binary');
    const dir = mkdtempSync(join(tmpdir(), 'licensor-own-ferretdb-'));
    const ferret = new OwnFerretDb(await freePort(), dir);
    const uri = ferret.start();
    cleanups.push(() => {
      try {
        ferret.kill();
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    });

    const shared = process.env.MONGODB_URI;
    process.env.MONGODB_URI = uri;
    const fixture = await openIssuerFixture('mongo').finally(() => {
      process.env.MONGODB_URI = shared;
    });
    cleanups.push(() => fixture.cleanup());
    const licenses: { installation: Ed25519KeyPair; licenseId: string }[] = [];
    for (let i = 0; i < 4; i++) licenses.push(await issueLicense(fixture.issuer));
    await fixture.store.close();

    const serving: ServingProcess = await serve({
      port: 0,
      host: '127.0.0.1',
      dataDir: fixture.dataDir,
      mongoUri: fixture.mongoUri!,
      passphrase,
      logLevel: 'silent',
      config: { rateLimitPerInstallation: { burst: 10_000, perSecond: 10_000 } },
    });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await serving.shutdown('test');
    });
    const url = serving.server.url;
    const answers: { status: number; code: string | null; ms: number }[] = [];
    let n = 0;
    const check = async () => {
      const { installation, licenseId } = licenses[n++ % licenses.length]!;
      const started = Date.now();
      const response = await post(url, checkFor(licenseId, installation));
      const text = await response.text();
      const code = response.status === 200 ? null : (JSON.parse(text).error?.code ?? 'none');
      answers.push({ status: response.status, code, ms: Date.now() - started });
      return response.status;
    };

    for (let i = 0; i < 20; i++) expect(await check()).toBe(200);
    ferret.kill();
    const outageFrom = answers.length;
    for (let i = 0; i < 10; i++) await check();
    const outage = answers.slice(outageFrom);
    for (const answer of outage) {
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.code).toBe('ERR_STORE_UNAVAILABLE');
      // The store timeout (2 s) bounds each answer, with room for a loaded machine.
      expect(answer.ms).toBeLessThan(6_000);
    }
    expect(outage.some((a) => a.status === 503)).toBe(true);

    // Back on the same port and data: the running service answers 200 again by itself.
    ferret.start();
    const backBy = Date.now() + 60_000;
    let recovered = false;
    while (!recovered && Date.now() < backBy) {
      recovered = (await check()) === 200;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(recovered).toBe(true);
    for (let i = 0; i < 10; i++) expect(await check()).toBe(200);
    expect(answers.every((a) => a.status === 200 || a.code === 'ERR_STORE_UNAVAILABLE')).toBe(true);

    // Every check answered 200 has its record: buffered through the outage, written after.
    expect(await serving.shutdown('test')).toBe(0);
    stopped = true;
    const store = await openStore({ mongoUri: fixture.mongoUri!, dataDir: fixture.dataDir });
    try {
      let recorded = 0;
      for (const { licenseId } of licenses)
        recorded += (await store.listChecks(licenseId, 10_000)).length;
      expect(recorded).toBe(answers.filter((a) => a.status === 200).length);
    } finally {
      await store.close();
    }
  });
});
