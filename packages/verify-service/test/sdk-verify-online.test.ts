// End to end with the real SDK: a CMS installation gets a license key from the issuer, applies
// it, and presses "Verify License" against a running service on 127.0.0.1. What the vendor does
// (renew, revoke) reaches the installation through the service.
import { createLicensor, MemoryStore, SYSTEM_ADMINISTRATOR } from '@licensor/sdk';
import { Keyring, keyPairFromSeed, verifyStatus } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config.js';
import { passphrase } from './support/issuer-store.js';
import { checkFor } from './support/process.js';
import { licenseCms, runningServiceEachTest } from './support/running-service.js';

const admin = { id: 'op-1', name: 'Ada', roles: [SYSTEM_ADMINISTRATOR] };

describe("the SDK's verifyOnline against a running service", () => {
  const startService = runningServiceEachTest();

  async function setup() {
    const { fixture, service, checksUrl, stop } = await startService({ viewCacheTtlMs: 0 });
    const sdkStore = new MemoryStore();
    const licensor = createLicensor({
      store: sdkStore,
      trust: await fixture.issuer.keys.exportJwks(),
      product: { name: 'CMS', version: '5.2.0' },
      verifyUrl: checksUrl,
      credentialsInUse: () => 12,
    });
    const licenseId = await licenseCms(fixture, licensor, admin);
    return { fixture, service, licensor, sdkStore, licenseId, checksUrl, stopService: stop };
  }

  it('verifies an applied license as VALID and records the check', async () => {
    const { fixture, service, licensor, licenseId } = await setup();
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({ ok: true, outcome: 'VALID', error: null });
    expect(result.verifiedAt).toBeGreaterThan(0);
    await service.drain(Date.now() + 5_000);
    const checks = await fixture.issuer.listChecks(licenseId);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ outcome: 'VALID', credentialsInUse: 12 });
  });

  it('delivers a renewal to the installation, which applies it', async () => {
    const { fixture, licensor, licenseId } = await setup();
    await fixture.issuer.renew(licenseId, { termDays: 365 }, 'vendor');
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      appliedRevision: 2,
      deliveredTokenRefused: null,
    });
  });

  it('tells the installation its license was revoked', async () => {
    const { fixture, licensor, licenseId } = await setup();
    await fixture.issuer.revoke(licenseId, 'vendor', 'refund');
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({ ok: true, outcome: 'REVOKED' });
  });

  it('reports the outage as a typed failure while the service is stopped', async () => {
    const { licensor, stopService } = await setup();
    await stopService();
    const result = await licensor.verifyOnline(admin);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toMatch(/^ERR_/);
  });

  it('relays the key sets of a rotation: the installation trusts the new keys and applies the re-signed license (#11)', async () => {
    const { fixture, service, licensor, licenseId } = await setup();
    // The vendor rotates both keys: next, then active (the old ones retired), as an operator would.
    const license = await fixture.issuer.keys.rotate('license', 'vendor');
    const status = await fixture.issuer.keys.rotate('status', 'vendor');
    await fixture.issuer.keys.activate(license.kid, 'vendor');
    await fixture.issuer.keys.activate(status.kid, 'vendor');
    // What SIGHUP does in licensor-verify: the new status key, and the key sets published since.
    service.setStatusKeys(await fixture.store.loadStatusSigningKeys(passphrase));
    await service.keysets.refresh();
    const newest = (await fixture.issuer.keys.keysets()).at(-1)!.seq;
    expect(service.keysets.newest).toBe(newest);

    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetVersion: newest,
      keysetRefused: null,
      appliedRevision: 2,
    });
    const trusted = await licensor.getTrust(admin);
    expect(trusted.keys).toEqual(
      expect.arrayContaining([
        { kid: license.kid, purpose: 'license', state: 'active' },
        { kid: status.kid, purpose: 'status', state: 'active' },
      ]),
    );
    // Up to date now: the next status relays nothing.
    const again = await licensor.verifyOnline(admin);
    expect(again).toMatchObject({ ok: true, keysetVersion: null, keysetRefused: null });
    expect((await fixture.issuer.getLicense(licenseId))?.license.revision).toBe(2);
    // Its checks reported the version it trusts: the vendor sees it has picked up the newest.
    await service.drain(Date.now() + 5_000);
    expect(await fixture.issuer.keys.usage()).toMatchObject({
      newestKeyset: newest,
      installationsReporting: 1,
      installationsOnNewest: 1,
    });
  });

  it('picks up a key set published at the vendor by itself, every keysetRefreshMs (30 s by default), without SIGHUP', async () => {
    expect(defaultConfig.keysetRefreshMs).toBe(30_000);
    const { fixture, service, checksUrl } = await startService({
      viewCacheTtlMs: 0,
      keysetRefreshMs: 50,
    });
    const before = service.keysets.newest;
    const license = await fixture.issuer.keys.rotate('license', 'vendor');
    await fixture.issuer.keys.activate(license.kid, 'vendor');
    const newest = (await fixture.issuer.keys.keysets()).at(-1)!.seq;
    expect(newest).toBeGreaterThan(before ?? 0);
    // No refresh() and no signal here: only the service's own timer can bring it.
    const deadline = Date.now() + 5_000;
    while (service.keysets.newest !== newest && Date.now() < deadline) {
      await new Promise((tick) => setTimeout(tick, 20));
    }
    expect(service.keysets.newest).toBe(newest);
    expect(checksUrl).toMatch(/^http:/);
  });

  it('delivers a declined model switch with the next check: the request closes with the reason (#16.14)', async () => {
    const { fixture, licensor, sdkStore, licenseId, checksUrl } = await setup();
    const asked = await licensor.requestModelSwitch(admin, 'perpetual');
    const request = (await fixture.issuer.inspect(asked.challenge, 'vendor')).approvalRequest!;
    expect(request).toMatchObject({ kind: 'model-switch', status: 'pending', licenseId });
    expect((await licensor.getLicenseInfo(admin)).pendingModelSwitch).toBe('perpetual');
    await fixture.issuer.rejectRequest(
      request.id,
      'vendor',
      'stay on the subscription\nuntil renewal',
    );

    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    expect(result.rejectedRequests).toEqual([
      expect.objectContaining({
        id: asked.request.id,
        outcome: 'rejected',
        closedBy: 'vendor',
        reason: 'stay on the subscription until renewal',
      }),
    ]);
    expect(result.info).toMatchObject({ pendingModelSwitch: null, pendingRequests: [] });
    const audit = await licensor.listAudit(admin);
    expect(audit.find((e) => e.action === 'verify')?.detail).toContain(
      `the vendor declined request ${asked.request.id}: stay on the subscription until renewal`,
    );

    // A version 1 check (an SDK of the first release) gets a version 1 status, without it.
    const seed = (await sdkStore.loadInstallationKey())!;
    const installation = keyPairFromSeed(seed);
    const v1 = checkFor(licenseId, installation);
    const response = await fetch(checksUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: v1,
    });
    expect(response.status).toBe(200);
    const keyring = Keyring.fromJwks(await fixture.issuer.keys.exportJwks());
    const status = verifyStatus(await response.text(), keyring).claims;
    expect(status).toMatchObject({ v: 1, outcome: 'VALID', sub: installation.kid });
    expect(status).not.toHaveProperty('rejected');
  });
});
