// Issue #17: a CMS running on several nodes that share one SDK store (a store with `exclusive`,
// here the FileStore's lock on a shared folder) is one installation with one check chain: two
// processes checking at the same time never fork. A copy of the folder (no shared lock) is two
// installations with one id, and the service names it at once.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLicensor, FileStore, SYSTEM_ADMINISTRATOR } from '@licensor/sdk';
import { describe, expect, it } from 'vitest';
import { licenseCms, runningServiceEachTest } from './support/running-service.js';

const admin = { id: 'node-admin', name: 'Ada', roles: [SYSTEM_ADMINISTRATOR] };

/** One CMS node: a process that presses Verify License `times` times on the shared folder. */
const NODE_SCRIPT = `
import { createLicensor, FileStore } from '@licensor/sdk';
const [dir, url, times] = process.argv.slice(1);
const licensor = createLicensor({
  store: new FileStore(dir, { lockTimeoutMs: 30000 }),
  trust: JSON.parse(process.env.TRUST),
  product: { name: 'CMS', version: '5.2.0' },
  verifyUrl: url,
});
const outcomes = [];
for (let i = 0; i < Number(times); i++) {
  const result = await licensor.verifyOnline({ id: 'node', roles: ['system-administrator'] });
  outcomes.push(result.ok ? (result.forked ? 'FORKED ' : '') + result.outcome : result.error.code);
}
console.log(JSON.stringify(outcomes));
`;

function cmsNode(dir: string, url: string, times: number, trust: unknown): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', NODE_SCRIPT, dir, url, String(times)],
      {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, TRUST: JSON.stringify(trust) },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim()) as string[]);
      },
    );
  });
}

describe('a clustered CMS on one shared SDK store', () => {
  const startService = runningServiceEachTest();

  async function licensedFolder() {
    const { fixture, checksUrl } = await startService({
      viewCacheTtlMs: 0,
      rateLimitPerInstallation: { burst: 1000, perSecond: 1000 },
    });
    const trust = await fixture.issuer.keys.exportJwks();
    const dir = join(mkdtempSync(join(tmpdir(), 'licensor-cluster-')), 'shared');
    const licensor = createLicensor({
      store: new FileStore(dir),
      trust,
      product: { name: 'CMS', version: '5.2.0' },
    });
    const licenseId = await licenseCms(fixture, licensor, admin);
    return { fixture, dir, trust, url: checksUrl, licenseId };
  }

  it('two node processes checking at the same time are one chain: no fork is reported', async () => {
    const { fixture, dir, trust, url, licenseId } = await licensedFolder();
    const [a, b] = await Promise.all([cmsNode(dir, url, 4, trust), cmsNode(dir, url, 4, trust)]);
    expect([...a, ...b]).toEqual(Array(8).fill('VALID'));
    expect(await fixture.store.chains.listForks({ licenseId })).toEqual([]);
  }, 60_000);

  it('a copy of the folder on a second server (no shared lock) is named a fork at its second check', async () => {
    const { fixture, dir, trust, url, licenseId } = await licensedFolder();
    expect(await cmsNode(dir, url, 1, trust)).toEqual(['VALID']);
    const copy = join(mkdtempSync(join(tmpdir(), 'licensor-copy-')), 'copied');
    cpSync(dir, copy, { recursive: true });
    expect(await cmsNode(dir, url, 1, trust)).toEqual(['VALID']);
    expect(await cmsNode(copy, url, 1, trust)).toEqual(['VALID']);
    expect(await cmsNode(dir, url, 1, trust)).toEqual(['VALID']);
    expect(await cmsNode(copy, url, 1, trust)).toEqual(['FORKED VALID']);
    const forks = await fixture.store.chains.listForks({ licenseId });
    expect(forks).toMatchObject([
      { status: 'open', action: 'warn', copy: { address: '127.0.0.1' } },
    ]);
  }, 60_000);
});
