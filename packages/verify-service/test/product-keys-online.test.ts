// End to end with the real SDK (#12.1): a product gets a license key of its own; the license of
// that product is re-signed by it, and the installation picks up the product's key set and the
// re-signed license at its next check through a running service.
import { createLicensor, MemoryStore, SYSTEM_ADMINISTRATOR } from '@licensor/sdk';
import { Keyring, verifyLicense } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { runningServiceEachTest } from './support/running-service.js';

const admin = { id: 'op-1', name: 'Ada', roles: [SYSTEM_ADMINISTRATOR] };

describe("a product's own license key, delivered online", () => {
  const startService = runningServiceEachTest();

  it("relays the product's key set and the license its key re-signed; the installation applies both", async () => {
    const { fixture, service, checksUrl } = await startService({ viewCacheTtlMs: 0 });
    await fixture.issuer.products.create({ name: 'CMS' }, 'vendor');
    await fixture.issuer.plans.create(
      { name: 'CMS Standard', products: ['CMS'], model: 'subscription', credentials: 50 },
      'vendor',
    );
    const licensor = createLicensor({
      store: new MemoryStore(),
      trust: await fixture.issuer.keys.exportJwks('CMS'),
      product: { name: 'CMS', version: '5.2.0' },
      verifyUrl: checksUrl,
      credentialsInUse: () => 12,
    });
    const { challenge } = await licensor.createChallenge(admin);
    const issued = await fixture.issuer.issue(
      challenge,
      { customerName: 'Acme', model: 'subscription', credentials: 50, plan: 'CMS Standard' },
      'vendor',
    );
    await licensor.applyLicenseKey(admin, issued.token);

    const key = await fixture.issuer.keys.rotate('license', 'vendor', { product: 'CMS' });
    await fixture.issuer.keys.activate(key.kid, 'vendor');
    await service.keysets.refresh();
    const cms = await fixture.issuer.keys.keysets('CMS');

    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetVersion: cms.at(-1)!.seq,
      keysetRefused: null,
      appliedRevision: 2,
    });
    expect((await licensor.getTrust(admin)).keys).toContainEqual({
      kid: key.kid,
      purpose: 'license',
      state: 'active',
    });
    // The license in force now is the one the product's key signed.
    const latest = (await fixture.issuer.getLicense(issued.license.id))!.license.latestToken!;
    const keyring = Keyring.fromJwks(await fixture.issuer.keys.exportJwks('CMS'));
    expect(verifyLicense(latest, keyring).kid).toBe(key.kid);
    expect((await licensor.getLicenseInfo(admin)).revision).toBe(2);
  });
});
