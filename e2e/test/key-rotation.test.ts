// A key rotation over a fleet of four installations, all real processes: the issuer's CLI and
// portal, one verify service (signalled with SIGHUP, never restarted) and four CMS installations
// driven by the `licensor` CLI. Two check online and learn the new keys from the key sets relayed
// with their statuses; one stays offline and is given them by its operator (`licensor trust`) and
// in the bundle of its next license key; one checks once and is away through the whole rotation.
// The vendor rotates and activates the license key and the status key (the old ones retire),
// revokes the old status key and renews the away installation's subscription while it is away;
// it comes back and keeps working. Once the portal's API shows every installation on the newest
// key set, the old license key is revoked too. Every installation keeps working throughout (no
// grace, no refused renewal, no ERR_STATE_TAMPERED), accepts new license keys signed by the new
// key, ends trusting the new keys only, and refuses a forged key set with its state unchanged.
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
import { PortalApiError, PortalClient } from '../src/portal-client.js';
import { bins, freePort, Service } from '../src/processes.js';
import { Product } from '../src/product.js';
import { tempDir } from './helpers.js';

const data = tempDir('key-rotation');
let product: Product;
let verify: Service;
let verifyUrl = '';
let reloads = 0;
const fleet: Record<'online1' | 'online2' | 'offline' | 'away', Cms> = {} as never;
let portal: PortalClient;

/** What the portal's Signing keys page shows (GET /api/v1/keys/usage). */
interface KeyUsage {
  keys: { kid: string; purpose: string; status: string; tokens: number; licenses: number }[];
  newestKeyset: number;
  keysets: { seq: number; installations: number }[];
  installationsReporting: number;
  installationsOnNewest: number;
}

/** Installations that last reported a version before `seq`. */
function behind(usage: KeyUsage, seq: number): number {
  return usage.keysets.filter((k) => k.seq < seq).reduce((sum, k) => sum + k.installations, 0);
}

/** The first key set version that lists `kid` as active. */
async function firstVersionWithActive(kid: string): Promise<number> {
  const versions = await portal.get<{ items: { seq: number; token: string }[] }>('/keys/keysets');
  const claims = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      keys: { kid: string; state: string }[];
    };
  return versions.items.find((v) =>
    claims(v.token).keys.some((k) => k.kid === kid && k.state === 'active'),
  )!.seq;
}

/** The portal's count once the verify service has written the checks' reports (batched). */
async function usageOnceReported(onNewest: number): Promise<KeyUsage> {
  await expect
    .poll(async () => (await portal.get<KeyUsage>('/keys/usage')).installationsOnNewest, {
      timeout: 10_000,
    })
    .toBe(onNewest);
  return portal.get<KeyUsage>('/keys/usage');
}

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
  for (const name of ['online1', 'online2', 'offline', 'away'] as const) {
    fleet[name] = new Cms(join(data.path, name), product.jwksFile);
  }
  await fleet.online1.upgrade(await issue(fleet.online1, 'subscription'));
  await fleet.online2.upgrade(await issue(fleet.online2, 'subscription'));
  await fleet.offline.upgrade(await issue(fleet.offline, 'perpetual'));
  await fleet.away.upgrade(await issue(fleet.away, 'subscription'));
  // The away installation checks once with the vendor's first keys, then goes quiet.
  expect(await fleet.away.verifyLicense(verifyUrl)).toMatchObject({ ok: true, outcome: 'VALID' });
  portal = await PortalClient.login(
    product.portalUrl,
    product.vendor.name,
    product.vendor.password,
  );
});

afterAll(async () => {
  await verify?.stop();
  await product?.stop();
  data.remove();
});

describe('a key rotation across a fleet of four installations', () => {
  let oldLicenseKid = '';
  let newLicenseKid = '';
  let oldStatusKid = '';
  let newStatusKid = '';

  it('0. the portal counts what the first keys signed and that every installation trusts the shipped keys', async () => {
    // Each reported version 0 (the shipped keys) with its challenge, and applied version 1 with
    // its first key (the bundle); the away one's check reported it.
    const usage = await usageOnceReported(1);
    const license = usage.keys.find((k) => k.purpose === 'license')!;
    expect(license).toMatchObject({ status: 'active', tokens: 4, licenses: 4 });
    expect(usage).toMatchObject({ newestKeyset: 1, installationsReporting: 4 });
    expect(usage.keysets.find((k) => k.seq === 0)?.installations).toBe(3);
    // A kid the vendor does not hold is refused with a typed error.
    const missing = await portal.get('/keys/no-such-kid/usage').catch((error) => error);
    expect(missing).toBeInstanceOf(PortalApiError);
    expect(missing).toMatchObject({ status: 404, code: 'ERR_KEY_NOT_FOUND' });
  });

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

  it('4b. the installation away through the whole rotation comes back: its renewal, the re-signed key and the new keys arrive with its first check', async () => {
    const away = fleet.away;
    const before = await away.viewLicense();
    // Offline meanwhile, nothing it holds was touched: the first keys, its first status.
    expect(before).toMatchObject({ state: 'active', keysetVersion: 1, revision: 1 });
    // While it is away the vendor renews it: the renewal, signed by the new license key, waits
    // for it with the key sets it lacks (after the version it last reported).
    const renewed = JSON.parse(
      await product.issuer(['renew', before.licenseId!, '--term-days', '60', '--json']),
    ) as { license: { revision: number }; keysets: string[] };
    expect(renewed.license.revision).toBe(3);
    expect(renewed.keysets.length).toBeGreaterThan(0);
    const back = await away.verifyLicense(verifyUrl);
    expect(back).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetRefused: null,
      deliveredTokenRefused: null,
      appliedRevision: 3,
      keysetVersion: await newestKeyset(),
    });
    expect(back.info).toMatchObject({ state: 'active', revision: 3 });
    // Its state reloads (no ERR_STATE_TAMPERED) and is in force, not in grace.
    expect(await away.viewLicense()).toMatchObject({ state: 'active', revision: 3 });
    expect(await away.viewLicenseText()).toMatch(/active/i);
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

  it('7. once the portal shows every installation on a key set where the new license key is active, the old one is revoked; all keep working and end trusting the new keys only', async () => {
    // The online ones reported it with their checks, the offline one with its last challenge.
    const newest = await newestKeyset();
    for (const cms of [fleet.online1, fleet.online2, fleet.away]) {
      expect(await cms.verifyLicense(verifyUrl)).toMatchObject({ ok: true, outcome: 'VALID' });
    }
    // Every installation reports a version in which the new license key is active (the offline
    // one the version it held when it sent its last challenge; its bundle brought it the newest).
    const activatedIn = await firstVersionWithActive(newLicenseKid);
    await expect
      .poll(async () => behind(await portal.get<KeyUsage>('/keys/usage'), activatedIn), {
        timeout: 10_000,
      })
      .toBe(0);
    const picked = await portal.get<KeyUsage>('/keys/usage');
    expect(picked).toMatchObject({
      newestKeyset: newest,
      installationsReporting: 4,
      installationsOnNewest: 3,
    });
    const signed = Object.fromEntries(picked.keys.map((k) => [k.kid, k]));
    // The old key issued the first four; the new one re-signed them, renewed and issued since.
    expect(signed[oldLicenseKid]).toMatchObject({ status: 'retired', tokens: 4, licenses: 4 });
    // Four re-signed, one renewal, three new keys.
    expect(signed[newLicenseKid]).toMatchObject({ status: 'active', tokens: 8 });
    expect(signed[newLicenseKid]!.licenses).toBeGreaterThanOrEqual(4);

    const revocation = JSON.parse(
      await product.issuer([
        'keys',
        'revoke',
        oldLicenseKid,
        '--reason',
        'rotation done',
        '--json',
      ]),
    ) as { dependents: unknown[] };
    // Every license's newest token is signed by the new key: nobody depends on the old one.
    expect(revocation.dependents).toEqual([]);
    await reload();
    const final = await newestKeyset();
    for (const cms of [fleet.online1, fleet.online2, fleet.away]) {
      const result = await cms.verifyLicense(verifyUrl);
      expect(result).toMatchObject({ ok: true, outcome: 'VALID', keysetRefused: null });
      expect(result.keysetVersion).toBe(final);
    }
    const pasted = await fleet.offline.trust(await product.issuer(['keys', 'export', '--keyset']));
    expect(pasted.code).toBe(0);
    const trusted = JSON.parse(pasted.stdout) as { keysetVersion: number; keys: { kid: string }[] };
    expect(trusted.keysetVersion).toBe(final);
    // Ends trusting the new keys only: both old keys are revoked.
    expect(trusted.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([newLicenseKid, newStatusKid]),
    );
    expect(trusted.keys.map((k) => k.kid)).not.toContain(oldLicenseKid);
    expect(trusted.keys.map((k) => k.kid)).not.toContain(oldStatusKid);
    for (const cms of Object.values(fleet)) {
      expect(await cms.viewLicense()).toMatchObject({ state: 'active', keysetVersion: final });
    }
    // The portal: a check reports the version trusted when it was made, so the three online ones
    // show the final version from their next check on; the offline one at its next challenge.
    for (const cms of [fleet.online1, fleet.online2, fleet.away]) {
      expect(await cms.verifyLicense(verifyUrl)).toMatchObject({ ok: true, outcome: 'VALID' });
    }
    const after = await usageOnceReported(3);
    expect(after.keysets.find((k) => k.seq === final)?.installations).toBe(3);
    expect(after.keys.find((k) => k.kid === oldLicenseKid)?.status).toBe('revoked');
  });
});
