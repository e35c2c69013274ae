// A key rotation over a fleet of three installations, all real processes: the issuer's CLI, one
// verify service (signalled with SIGHUP, never restarted) and three CMS installations driven by
// the `licensor` CLI. Two check online and learn the new keys from the key sets relayed with
// their statuses; one stays offline and is given them by its operator (`licensor trust`) and in
// the bundle of its next license key. The vendor rotates and activates the license key and the
// status key (the old ones retire), then revokes the old status key; every installation keeps
// working throughout (no grace, no refused renewal, no ERR_STATE_TAMPERED), accepts new license
// keys signed by the new key, and refuses a forged key set with its state unchanged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  armourBlocks,
  generateKeyPair,
  signerFromKeyPair,
  signKeyset,
  toPublicJwk,
} from '@licensor/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cms } from '../src/cms.js';
import { bins, freePort, Service } from '../src/processes.js';
import { Product } from '../src/product.js';
import { tempDir } from './helpers.js';

const data = tempDir('key-rotation');
let product: Product;
let verify: Service;
let verifyUrl = '';
let reloads = 0;
const fleet: Record<'online1' | 'online2' | 'offline', Cms> = {} as never;

/** The kid in the header of the license block of an issued key (bundle or single block). */
function licenseKid(issued: string): string {
  const block = armourBlocks(issued).find((b) => b.kind === 'license')!;
  const header = JSON.parse(Buffer.from(block.token.split('.')[0]!, 'base64url').toString());
  return header.kid as string;
}

async function issue(cms: Cms, model: 'perpetual' | 'subscription'): Promise<string> {
  const challenge = await cms.getChallenge({ credentials: 10, customer: 'Fleet Bank' });
  return product.issuer(
    [
      'issue',
      '-',
      '--customer',
      'Fleet Bank',
      '--credentials',
      '10',
      '--model',
      model,
      ...(model === 'subscription' ? ['--term-days', '30'] : []),
      '--armour',
    ],
    challenge,
  );
}

async function keysJson(args: string[]): Promise<{ kid: string }> {
  return JSON.parse(await product.issuer([...args, '--json'])) as { kid: string };
}

/** SIGHUP, then the service's own word that it reloaded. */
async function reload(): Promise<void> {
  reloads += 1;
  verify.signal('SIGHUP');
  await verify.waitForOutput('status_keys_reloaded', reloads);
}

/** The newest signed key set version the vendor has published. */
async function newestKeyset(): Promise<number> {
  return armourBlocks(await product.issuer(['keys', 'export', '--keyset'])).length;
}

async function expectAllWorking(): Promise<void> {
  for (const cms of Object.values(fleet)) {
    const info = await cms.viewLicense();
    expect(info.state).toBe('active');
  }
}

beforeAll(async () => {
  product = await Product.start({ dataDir: data.path, verifyInstances: 0, cacheTtlMs: 200 });
  // The verify service, logging at info so the test reads its reload events.
  const port = await freePort();
  verify = Service.start(
    'verify',
    bins.verify,
    // No license cache: each check reads the store, so a re-signed license is relayed at the
    // very next check whatever the machine's speed (the default cache of 5 s let a fast run
    // check again before the cached view of step 1 expired).
    ['serve', '--port', String(port), '--data', data.path, '--cache-ttl-ms', '0'],
    {
      ...product.verifyEnv,
      LICENSOR_LOG_LEVEL: 'info',
    },
  );
  verifyUrl = `http://127.0.0.1:${port}`;
  await verify.waitUntilReady(`${verifyUrl}/readyz`);
  for (const name of ['online1', 'online2', 'offline'] as const) {
    fleet[name] = new Cms(join(data.path, name), product.jwksFile);
  }
  await fleet.online1.upgrade(await issue(fleet.online1, 'subscription'));
  await fleet.online2.upgrade(await issue(fleet.online2, 'subscription'));
  await fleet.offline.upgrade(await issue(fleet.offline, 'perpetual'));
});

afterAll(async () => {
  await verify?.stop();
  await product?.stop();
  data.remove();
});

describe('a key rotation across a fleet of three installations', () => {
  let oldLicenseKid = '';
  let newLicenseKid = '';
  let oldStatusKid = '';
  let newStatusKid = '';

  it('1. the new keys are published as next and reach the online installations with their statuses', async () => {
    const keys = JSON.parse(await product.issuer(['keys', 'list', '--json'])) as {
      kid: string;
      purpose: string;
      status: string;
    }[];
    oldLicenseKid = keys.find((k) => k.purpose === 'license' && k.status === 'active')!.kid;
    oldStatusKid = keys.find((k) => k.purpose === 'status' && k.status === 'active')!.kid;
    newLicenseKid = (await keysJson(['keys', 'rotate', '--use', 'license'])).kid;
    newStatusKid = (await keysJson(['keys', 'rotate', '--use', 'status'])).kid;
    await reload();
    for (const cms of [fleet.online1, fleet.online2]) {
      const result = await cms.verifyLicense(verifyUrl);
      expect(result).toMatchObject({ ok: true, outcome: 'VALID', keysetRefused: null });
      expect(result.keysetVersion).toBeGreaterThan(0);
    }
    await expectAllWorking();
  });

  it('2. activation: online installations get statuses signed by the new status key and re-signed licenses', async () => {
    await product.issuer(['keys', 'activate', newLicenseKid]);
    await product.issuer(['keys', 'activate', newStatusKid]);
    await reload();
    for (const cms of [fleet.online1, fleet.online2]) {
      const result = await cms.verifyLicense(verifyUrl);
      expect(result).toMatchObject({
        ok: true,
        outcome: 'VALID',
        keysetRefused: null,
        deliveredTokenRefused: null,
        appliedRevision: 2,
      });
      expect(result.info.state).toBe('active');
    }
    await expectAllWorking();
  });

  it('3. the offline installation is given the key sets by its operator', async () => {
    const keysets = await product.issuer(['keys', 'export', '--keyset']);
    const applied = await fleet.offline.trust(keysets);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    const result = JSON.parse(applied.stdout) as { keysetVersion: number; keys: { kid: string }[] };
    expect(result.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([newLicenseKid, newStatusKid]),
    );
    // Its license, signed by the retired key, keeps working offline.
    expect(await fleet.offline.viewLicense()).toMatchObject({
      state: 'active',
      keysetVersion: result.keysetVersion,
    });
  });

  it('4. the old status key is revoked; online installations drop it at their next check', async () => {
    await product.issuer(['keys', 'revoke', oldStatusKid, '--reason', 'rotation drill']);
    await reload();
    const newest = await newestKeyset();
    for (const cms of [fleet.online1, fleet.online2]) {
      const result = await cms.verifyLicense(verifyUrl);
      expect(result).toMatchObject({ ok: true, outcome: 'VALID', keysetRefused: null });
      expect(result.keysetVersion).toBe(newest);
    }
    await expectAllWorking();
  });

  it('5. new license keys are signed by the new key, and all three accept them (offline: with the key set in the bundle)', async () => {
    for (const [name, model] of [
      ['online1', 'subscription'],
      ['online2', 'subscription'],
      ['offline', 'perpetual'],
    ] as const) {
      const issued = await issue(fleet[name], model);
      expect(licenseKid(issued)).toBe(newLicenseKid);
      expect(licenseKid(issued)).not.toBe(oldLicenseKid);
      const applied = await fleet[name].tryUpgrade(issued);
      expect(applied.code).toBe(0);
    }
    // The offline installation learnt the revocation from the bundle of its new key.
    expect((await fleet.offline.viewLicense()).keysetVersion).toBe(await newestKeyset());
    await expectAllWorking();
    for (const cms of [fleet.online1, fleet.online2]) {
      expect(await cms.verifyLicense(verifyUrl)).toMatchObject({ ok: true, outcome: 'VALID' });
    }
  });

  it('6. a forged key set is refused by every installation, whose state stays as it was', async () => {
    const rogue = generateKeyPair();
    const rogueStatus = generateKeyPair();
    const entry = (pair: typeof rogue, purpose: 'license' | 'status') => ({
      ...toPublicJwk(pair.publicKey),
      kid: pair.kid,
      alg: 'EdDSA' as const,
      use: 'sig' as const,
      purpose,
      state: 'active' as const,
    });
    const forged = await signKeyset(
      {
        v: 1,
        seq: 999,
        iat: Math.floor(Date.now() / 1000),
        keys: [entry(rogue, 'license'), entry(rogueStatus, 'status')],
        revoked: [],
      },
      signerFromKeyPair(rogue),
    );
    for (const cms of Object.values(fleet)) {
      const state = join(cms.stateDir, 'state.json');
      const before = readFileSync(state, 'utf8');
      const refused = await cms.trust(forged);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout).error.code).toBe('ERR_KEYSET_UNTRUSTED');
      expect(readFileSync(state, 'utf8')).toBe(before);
    }
    await expectAllWorking();
  });
});
