// The golden messages of @licensor/token, applied by the SDK: what the vendor signed with the
// golden keys must be accepted by an installation made from the golden installation key.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TOKEN_LENGTH, signCompactJwsWith, signerFromKeyPair } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import { createLicensor } from '../src/licensor.js';
import { FileStore } from '../src/store/file-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { STATE_FORMAT, type StoredState } from '../src/store/store.js';
import {
  admin,
  DAY,
  FrozenClock,
  golden,
  goldenInstallationKey,
  licenseKey,
  setup,
  trust,
} from './fixtures.js';
import { startVerifyServer, type VerifyServer } from './verify-server.js';

/** A state as the SDK before seals wrote it (format 1): read, and sealed at the next change. */
function formatOneState(pending: (typeof golden.challenge)[]): string {
  const state: Omit<StoredState, 'v' | 'audit' | 'clockOffset' | 'keysets' | 'closed'> & { v: 1 } =
    {
      format: STATE_FORMAT,
      v: 1,
      installationId: golden.keys.installation.kid,
      license: null,
      pending: pending.map((challenge) => ({
        id: challenge.claims.jti,
        token: challenge.token,
        expiresAt: challenge.claims.exp,
        requestedBy: 'alice',
      })),
      lastStatus: null,
      lastValidStatus: null,
      lastAttempt: null,
      trustedTime: 0,
      observedTime: 0,
      statusTime: 0,
    };
  return JSON.stringify(state);
}

/** An installation with the golden key, holding the golden challenges as pending. */
async function goldenInstallation(pending: (typeof golden.challenge)[]) {
  const store = new MemoryStore();
  await store.saveInstallationKey(goldenInstallationKey.privateKey);
  store.setRawState(formatOneState(pending));
  return setup({ store, clock: new FrozenClock(golden.now + DAY) });
}

/** The same on disk (FileStore): state.json can be compared byte for byte. */
async function goldenInstallationOnDisk(pending: (typeof golden.challenge)[]) {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-golden-'));
  const store = new FileStore(dir);
  await store.saveInstallationKey(goldenInstallationKey.privateKey);
  writeFileSync(join(dir, 'state.json'), formatOneState(pending));
  const clock = new FrozenClock(golden.now + DAY);
  const licensor = createLicensor({
    store,
    trust,
    product: { name: 'CMS', version: '5.2.0' },
    now: clock.now,
  });
  return { licensor, clock, stateFile: () => readFileSync(join(dir, 'state.json')) };
}

/** Holding the golden subscription (revision 2), with the format 2 challenge pending. */
async function goldenSubscriptionWithChallengeV2() {
  const installation = await goldenInstallation([
    golden.challenge,
    golden.modelSwitchChallenge,
    golden.challengeV2,
  ]);
  const { licensor, clock } = installation;
  await licensor.applyLicenseKey(admin, golden.license.token);
  clock.seconds = golden.subscriptionLicense.claims.iat;
  await licensor.applyLicenseKey(admin, golden.subscriptionLicense.token);
  return installation;
}

let server: VerifyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('golden vectors', () => {
  it('applies the golden license to the golden installation', async () => {
    const { licensor } = await goldenInstallation([golden.challenge]);
    expect(await licensor.installationId()).toBe(golden.keys.installation.kid);
    const result = await licensor.applyLicenseKey(admin, golden.license.token);
    const claims = golden.license.claims;
    expect(result).toMatchObject({ licenseId: claims.lid, revision: 1, transactionId: claims.jti });
    expect(result.answeredChallenge).toBe(golden.challenge.claims.jti);
    expect(result.info).toMatchObject({
      state: 'active',
      type: 'perpetual',
      customer: 'Acme Corporation',
      customerId: claims.customer.id,
      credentials: 100,
      issuedAt: claims.iat,
      pendingRequests: [],
    });
  });

  it('applies the golden license in its armoured form', async () => {
    const { licensor } = await goldenInstallation([golden.challenge]);
    await expect(licensor.applyLicenseKey(admin, golden.license.armoured)).resolves.toMatchObject({
      revision: 1,
    });
  });

  it('switches to the golden subscription that answers the golden model-switch challenge', async () => {
    const { licensor, clock } = await goldenInstallation([
      golden.challenge,
      golden.modelSwitchChallenge,
    ]);
    await licensor.applyLicenseKey(admin, golden.license.token);
    expect((await licensor.getLicenseInfo(admin)).pendingModelSwitch).toBe('subscription');
    clock.seconds = golden.subscriptionLicense.claims.iat;
    const result = await licensor.applyLicenseKey(admin, golden.subscriptionLicense.token);
    expect(result.info).toMatchObject({
      state: 'active',
      type: 'subscription',
      revision: 2,
      term: golden.subscriptionLicense.claims.term,
      pendingModelSwitch: null,
    });
  });

  it('applies the golden format 2 license answering the golden format 2 challenge', async () => {
    const { licensor, clock } = await goldenSubscriptionWithChallengeV2();
    const claims = golden.licenseV2.claims;
    clock.seconds = claims.iat;
    const result = await licensor.applyLicenseKey(admin, golden.licenseV2.token);
    expect(result).toMatchObject({
      licenseId: claims.lid,
      revision: 3,
      transactionId: claims.jti,
      answeredChallenge: golden.challengeV2.claims.jti,
    });
    expect(result.info).toMatchObject({
      state: 'active',
      type: 'subscription',
      revision: claims.rev,
      credentials: claims.credentials,
      term: claims.term,
      plan: claims.plan,
      products: claims.products,
      pendingRequests: [],
    });
    // Each feature and limit as the claims say, in force (the feature's own end is later).
    expect(result.info.features).toEqual([
      { name: 'hsm-support', until: null, active: true },
      { name: 'mobile-credentials', until: 1783468800, active: true },
    ]);
    expect(claims.features).toEqual([
      { name: 'hsm-support' },
      { name: 'mobile-credentials', until: 1783468800 },
    ]);
    expect(result.info.limits).toEqual([{ name: 'sites', value: 5, until: null, active: true }]);
    expect(claims.limits).toEqual([{ name: 'sites', value: 5 }]);
    expect(await licensor.hasFeature('mobile-credentials')).toBe(true);
    expect(await licensor.hasFeature('reporting')).toBe(false);
    expect(await licensor.limit('sites')).toBe(5);
  });

  it('trusts the golden key sets, version 1 then version 2', async () => {
    const { licensor, clock } = await goldenInstallation([golden.challenge]);
    await licensor.applyLicenseKey(admin, golden.license.token);
    clock.seconds = golden.keysetV1.claims.iat as number;
    await expect(licensor.applyKeysets(admin, golden.keysetV1.token)).resolves.toMatchObject({
      keysetVersion: 1,
      previousVersion: 0,
      applied: [1],
    });
    clock.seconds = golden.keysetV2.claims.iat as number;
    await expect(licensor.applyKeysets(admin, golden.keysetV2.token)).resolves.toMatchObject({
      keysetVersion: 2,
      previousVersion: 1,
      applied: [2],
    });
    const trusted = await licensor.getTrust(admin);
    expect(trusted.keysetVersion).toBe(2);
    // Version 2 adds the product's own license key, beside the shipped keys.
    expect(trusted.keys).toContainEqual({
      kid: golden.keys.productLicense.kid,
      purpose: 'license',
      state: 'active',
    });
    expect(await licensor.getLicenseInfo(admin)).toMatchObject({
      state: 'active',
      keysetVersion: 2,
      licenseId: golden.license.claims.lid,
    });
  });

  it('refuses a license of format 3 naming the version, state.json byte for byte as it was', async () => {
    const { licensor, stateFile } = await goldenInstallationOnDisk([golden.challenge]);
    // A format 1 state is sealed at its first audit entry (a read is one): done first, so that
    // what is compared below is the refusal alone.
    await licensor.getLicenseInfo(admin);
    const [header] = golden.license.token.split('.');
    const v3 = await signCompactJwsWith(
      JSON.parse(Buffer.from(header as string, 'base64url').toString('utf8')),
      { ...golden.license.claims, v: 3 },
      signerFromKeyPair(licenseKey),
      MAX_TOKEN_LENGTH,
    );
    const before = stateFile();
    const refusal = await licensor.applyLicenseKey(admin, v3).then(
      () => null,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(refusal?.code).toBe('ERR_VERSION_UNSUPPORTED');
    expect(refusal?.message).toMatch(/\b3\b/);
    // In the operator's words, the token's own reason kept after them.
    expect(refusal?.message).toBe(
      'This license key is in a newer format than this product reads: nothing was changed. Update the product (its Licensor SDK) to a release that reads it, then apply the key again; or ask the vendor for a key this release reads. (license format version 3 is not supported (this build reads versions 1 and 2); update Licensor)',
    );
    expect(stateFile().equals(before)).toBe(true);
    const last = (await licensor.listAudit(admin)).filter((entry) => entry.action === 'apply');
    expect(last.at(-1)).toMatchObject({ outcome: 'refused', code: 'ERR_VERSION_UNSUPPORTED' });
    // Nothing was used up: the format 1 license answering the same challenge still applies.
    await expect(licensor.applyLicenseKey(admin, golden.license.token)).resolves.toMatchObject({
      revision: 1,
    });
  });

  it('refuses the golden license on another installation', async () => {
    const { licensor } = setup();
    await expect(licensor.applyLicenseKey(admin, golden.license.token)).rejects.toMatchObject({
      code: 'ERR_LICENSE_OTHER_INSTALLATION',
    });
  });

  it('refuses the golden license when its challenge is not pending', async () => {
    const { licensor } = await goldenInstallation([]);
    await expect(licensor.applyLicenseKey(admin, golden.license.token)).rejects.toMatchObject({
      code: 'ERR_CHALLENGE_UNKNOWN',
    });
  });

  it('refuses the golden status replayed as the answer to a new check (nonce)', async () => {
    const { licensor, clock } = await goldenInstallation([
      golden.challenge,
      golden.modelSwitchChallenge,
    ]);
    await licensor.applyLicenseKey(admin, golden.license.token);
    clock.seconds = golden.subscriptionLicense.claims.iat;
    await licensor.applyLicenseKey(admin, golden.subscriptionLicense.token);
    server = await startVerifyServer(clock);
    server.register(golden.challenge.token);
    server.plan = () => ({ body: golden.status.token });
    const result = await licensor.verifyOnline(admin, { url: server.url });
    expect(result.error?.code).toBe('ERR_STATUS_MISMATCH');
    expect(result.info.lastVerifyResult).toBeNull();
  });
});
