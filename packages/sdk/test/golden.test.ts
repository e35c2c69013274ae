// The golden messages of @licensor/token, applied by the SDK: what the vendor signed with the
// golden keys must be accepted by an installation made from the golden installation key.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import { STATE_FORMAT, type StoredState } from '../src/store/store.js';
import { admin, DAY, FrozenClock, golden, goldenInstallationKey, setup } from './fixtures.js';
import { startVerifyServer, type VerifyServer } from './verify-server.js';

/** An installation with the golden key, holding the golden challenges as pending. */
async function goldenInstallation(pending: (typeof golden.challenge)[]) {
  const store = new MemoryStore();
  await store.saveInstallationKey(goldenInstallationKey.privateKey);
  // A state as the SDK before seals wrote it (format 1): read, and sealed at the next change.
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
  store.setRawState(JSON.stringify(state));
  return setup({ store, clock: new FrozenClock(golden.now + DAY) });
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
