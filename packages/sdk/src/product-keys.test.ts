// License keys of one product (#12.1): an installation trusts a product's key for that product's
// licenses only; a license a product key of another product signed is refused with a typed
// error and changes nothing; a product's own key set is applied by that product only; licenses
// the vendor's own key signed (format 1 included) keep verifying.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armour, Keyring, keyPairFromSeed, signerFromKeyPair, signKeyset } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, golden, licenseKey, statusKey } from '../test/fixtures.js';
import { entry, L1, productKeyTakeover, S1 } from '../test/keysets.js';
import { createLicensor } from './licensor.js';
import { FileStore } from './store/file-store.js';

const CMS_KEY = keyPairFromSeed(new Uint8Array(32).fill(31));
const MOBILE_KEY = keyPairFromSeed(new Uint8Array(32).fill(32));

/** What the vendor exports for every product at once: its keys and two products' keys, marked. */
const allProducts = Keyring.of([
  { publicKey: licenseKey.publicKey, purpose: 'license' },
  { publicKey: statusKey.publicKey, purpose: 'status' },
  { publicKey: CMS_KEY.publicKey, purpose: 'license', product: 'CMS' },
  { publicKey: MOBILE_KEY.publicKey, purpose: 'license', product: 'Mobile' },
]).toJwks();

function installationOf(product: string, shipped: unknown = allProducts) {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-product-keys-'));
  const clock = new FrozenClock();
  const open = () =>
    createLicensor({
      store: new FileStore(dir),
      trust: shipped as typeof allProducts,
      product: { name: product, version: '5.2.0' },
      now: clock.now,
    });
  return { licensor: open(), stateFile: () => readFileSync(join(dir, 'state.json'), 'utf8') };
}

const v2For = (product: string) => ({ v: 2 as const, products: [{ name: product }] });

describe('license keys of one product', () => {
  it("applies a license its own product's key signed, and one the vendor's key signed", async () => {
    const cms = installationOf('CMS');
    const first = await cms.licensor.createChallenge(admin);
    const applied = await cms.licensor.applyLicenseKey(
      admin,
      answer(first.challenge, v2For('CMS'), CMS_KEY),
    );
    expect(applied.licenseId).toBeDefined();
    // A format 1 key from the vendor's own key keeps applying (a higher revision).
    const second = await cms.licensor.createChallenge(admin);
    await expect(
      cms.licensor.applyLicenseKey(admin, answer(second.challenge, { rev: 2 })),
    ).resolves.toMatchObject({ licenseId: applied.licenseId });
  });

  it("refuses a license another product's key signed, naming both products, and changes nothing", async () => {
    const mobile = installationOf('Mobile');
    const { challenge } = await mobile.licensor.createChallenge(admin);
    const before = mobile.stateFile();
    // Even a license that claims to cover every product: the key decides.
    for (const claims of [v2For('Mobile'), {}]) {
      await expect(
        mobile.licensor.applyLicenseKey(admin, answer(challenge, claims, CMS_KEY)),
      ).rejects.toMatchObject({
        code: 'ERR_LICENSE_KEY_OTHER_PRODUCT',
        message: expect.stringMatching(/product CMS.*not of Mobile/),
      });
    }
    expect(mobile.stateFile()).toBe(before);
    // The challenge is still pending: the right key applies.
    await expect(
      mobile.licensor.applyLicenseKey(admin, answer(challenge, v2For('Mobile'), MOBILE_KEY)),
    ).resolves.toMatchObject({ revision: 1 });
  });

  it("an installation shipped with its product's JWKS only does not know another product's key", async () => {
    const ownJwks = Keyring.of([
      { publicKey: licenseKey.publicKey, purpose: 'license' },
      { publicKey: statusKey.publicKey, purpose: 'status' },
      { publicKey: MOBILE_KEY.publicKey, purpose: 'license', product: 'Mobile' },
    ]).toJwks();
    const mobile = installationOf('Mobile', ownJwks);
    const { challenge } = await mobile.licensor.createChallenge(admin);
    const before = mobile.stateFile();
    await expect(
      mobile.licensor.applyLicenseKey(admin, answer(challenge, v2For('Mobile'), CMS_KEY)),
    ).rejects.toMatchObject({ code: 'ERR_KID_UNKNOWN' });
    expect(mobile.stateFile()).toBe(before);
  });

  it("applies its product's key set and refuses another product's, changing nothing", async () => {
    const cmsSet = await signKeyset(
      {
        v: 2,
        seq: 1,
        iat: golden.now + 1,
        scope: 'CMS',
        keys: [
          entry(L1, 'license', 'active'),
          entry(S1, 'status', 'active'),
          { ...entry(CMS_KEY, 'license', 'active'), product: 'CMS' },
        ],
        revoked: [],
      },
      signerFromKeyPair(L1),
    );
    const vendorOnly = golden.jwks;
    const cms = installationOf('CMS', vendorOnly);
    await cms.licensor.createChallenge(admin);
    const applied = await cms.licensor.applyKeysets(admin, armour(cmsSet, 'keyset'));
    expect(applied.keysetVersion).toBe(1);
    expect(applied.keys).toContainEqual({ kid: CMS_KEY.kid, purpose: 'license', state: 'active' });

    const mobile = installationOf('Mobile', vendorOnly);
    await mobile.licensor.createChallenge(admin);
    const before = mobile.stateFile();
    await expect(mobile.licensor.applyKeysets(admin, cmsSet)).rejects.toMatchObject({
      code: 'ERR_KEYSET_OTHER_PRODUCT',
    });
    expect(mobile.stateFile()).toBe(before);
    expect((await mobile.licensor.getTrust(admin)).keysetVersion).toBe(0);
  });

  it("refuses a key set a product's key signed, even one listing that key as the vendor's, changing nothing", async () => {
    const cms = installationOf('CMS');
    await cms.licensor.createChallenge(admin);
    const takeover = await productKeyTakeover(CMS_KEY);
    const before = cms.stateFile();
    const trustBefore = await cms.licensor.getTrust(admin);
    await expect(
      cms.licensor.applyKeysets(admin, armour(takeover, 'keyset')),
    ).rejects.toMatchObject({ code: 'ERR_KEYSET_UNTRUSTED', reason: 'ERR_KEY_WRONG_PURPOSE' });
    expect(cms.stateFile()).toBe(before);
    expect(await cms.licensor.getTrust(admin)).toEqual(trustBefore);
    // The vendor's own key still signs a set this installation applies.
    const genuine = await signKeyset(
      {
        v: 1,
        seq: 1,
        iat: golden.now + 1,
        keys: [entry(L1, 'license', 'active'), entry(S1, 'status', 'active')],
        revoked: [],
      },
      signerFromKeyPair(L1),
    );
    await expect(cms.licensor.applyKeysets(admin, genuine)).resolves.toMatchObject({
      keysetVersion: 1,
    });
  });
});
