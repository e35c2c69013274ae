// Contract: license keys of one product (#12.1): their states, which key signs which license,
// the product's key set and JWKS. Run against every adapter by contract.test.ts.

import { advanceKeysets, Keyring, verifyKeyset, verifyLicense } from '@licensor/token';
import { beforeEach, expect, it } from 'vitest';
import type { Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { frozenClock, STANDARD_PLAN, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

const CMS = { name: 'vSEC:CMS', version: '6.4.0' };
const MOBILE = { name: 'vSEC:Mobile', version: '2.0.0' };

export function productKeysContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
    },
  });
  beforeEach(async () => {
    await issuer.products.create({ name: CMS.name }, 'alice');
    await issuer.products.create({ name: MOBILE.name }, 'alice');
    await issuer.plans.create(STANDARD_PLAN, 'alice');
    await issuer.plans.create(
      { ...STANDARD_PLAN, name: 'Mobile', products: [MOBILE.name], features: [], addOns: [] },
      'alice',
    );
    await issuer.plans.create(
      { ...STANDARD_PLAN, name: 'Suite', products: [CMS.name, MOBILE.name] },
      'alice',
    );
  });

  const issueFor = (product: typeof CMS, plan: string) =>
    issuer.issue(
      new TestInstallation().challenge({ v: 2, product, at: clock.now() }),
      { customerName: 'Acme Corp', model: 'subscription', credentials: 100, plan },
      'alice',
    );

  /** A product key made and activated: the product's licenses are signed by it from now on. */
  async function productKey(product: string) {
    const next = await issuer.keys.rotate('license', 'alice', { product });
    clock.advance(1000);
    await issuer.keys.activate(next.kid, 'alice');
    return next;
  }

  it("signs a product's licenses with its own active key, and every other license with the vendor's", async () => {
    const vendorKid = (await issuer.keys.list()).find(
      (k) => k.purpose === 'license' && k.product === undefined,
    )!.kid;
    const next = await issuer.keys.rotate('license', 'alice', { product: CMS.name });
    expect(next).toMatchObject({ status: 'next', product: expect.stringMatching(/^prd_/) });
    // Next: published, not signing yet.
    expect((await issueFor(CMS, 'Standard')).transaction.kid).toBe(vendorKid);
    clock.advance(1000);
    const activated = await issuer.keys.activate(next.kid, 'alice');
    expect(activated.status).toBe('active');
    // The product's first key replaces none: nothing is retired, and the answer says so.
    expect(activated).toMatchObject({ alreadyActive: false, retired: [] });
    // Its successor is the product's: the refusal to revoke it says how to make one.
    for (const refused of [
      () => issuer.keys.revoke(next.kid, 'alice'),
      () => issuer.keys.retire(next.kid, 'alice'),
    ]) {
      await expect(refused()).rejects.toMatchObject({
        code: 'ERR_KEY_ACTIVE',
        message: `key ${next.kid} is the active license key of ${CMS.name}: make its successor (keys rotate --product ${CMS.name}, then keys activate KID) first`,
      });
    }
    expect((await issuer.keys.list()).find((k) => k.kid === next.kid)?.status).toBe('active');
    // The vendor's key is still active: a product key retires only keys of its product.
    const states = Object.fromEntries((await issuer.keys.list()).map((k) => [k.kid, k.status]));
    expect(states[vendorKid]).toBe('active');
    const cms = await issueFor(CMS, 'Standard');
    expect(cms.transaction.kid).toBe(next.kid);
    const jwks = await issuer.keys.exportJwks(CMS.name);
    expect(jwks.keys.find((k) => k.kid === next.kid)).toMatchObject({ product: CMS.name });
    expect(verifyLicense(cms.token, Keyring.fromJwks(jwks)).kid).toBe(next.kid);
    // Another product, several products, a version 1 key: the vendor's key.
    expect((await issueFor(MOBILE, 'Mobile')).transaction.kid).toBe(vendorKid);
    expect((await issueFor(CMS, 'Suite')).transaction.kid).toBe(vendorKid);
    const v1 = await issuer.issue(
      new TestInstallation().challenge({ product: CMS, at: clock.now() }),
      { customerName: 'Acme Corp', model: 'subscription', credentials: 100, plan: 'Standard' },
      'alice',
    );
    expect(v1.transaction.kid).toBe(vendorKid);
    // The vendor's JWKS holds the vendor's keys only: a build of another product ships it.
    expect((await issuer.keys.exportJwks()).keys.map((k) => k.kid)).not.toContain(next.kid);
  });

  it("activating a product's key re-signs that product's licenses only, for online delivery", async () => {
    const cms = await issueFor(CMS, 'Standard');
    const mobile = await issueFor(MOBILE, 'Mobile');
    const key = await productKey(CMS.name);
    const cmsNow = (await issuer.getLicense(cms.license.id))!.license;
    const mobileNow = (await issuer.getLicense(mobile.license.id))!.license;
    const keyring = Keyring.fromJwks(await issuer.keys.exportJwks(CMS.name));
    expect(verifyLicense(cmsNow.latestToken!, keyring).kid).toBe(key.kid);
    expect(cmsNow.revision).toBe(2);
    expect(mobileNow.revision).toBe(1);
    // A renewal (online) of the product's license is signed by the product's key too.
    clock.advance(200 * 86_400_000);
    const renewed = await issuer.renew(cms.license.id, {}, 'alice');
    expect(renewed.transaction.kid).toBe(key.kid);
  });

  it("publishes the product's key set, signed by the vendor's key, in the one sequence of versions", async () => {
    const before = (await issuer.keys.keysets()).at(-1)!.seq;
    const key = await productKey(CMS.name);
    const vendor = await issuer.keys.keysets();
    const cms = await issuer.keys.keysets(CMS.name);
    // Another product walks the vendor's versions; the CMS walks its own from the first one.
    expect(await issuer.keys.keysets(MOBILE.name)).toEqual(vendor);
    expect(cms.map((v) => v.seq)).toEqual(vendor.map((v) => v.seq));
    const own = cms.filter((v) => v.seq > before);
    expect(own).toHaveLength(2);
    const shipped = Keyring.fromJwks(await issuer.keys.exportJwks());
    const { trust, applied } = advanceKeysets(
      { seq: 0, keyring: shipped },
      cms.map((v) => v.token),
    );
    expect(applied.at(-1)!.claims).toMatchObject({ v: 2, scope: CMS.name });
    expect(trust.keyring.productOf(key.kid)).toBe(CMS.name);
    // Every version is signed by the vendor's key, never the product's.
    for (const version of own) {
      expect(version.signedBy).not.toBe(key.kid);
      expect(verifyKeyset(version.token, shipped).kid).toBe(version.signedBy);
    }
    // The vendor's own set never lists a product's key.
    expect(vendor.at(-1)!.kids).not.toContain(key.kid);
    // An offline key for the CMS carries the CMS versions after the one its installation trusts.
    const offline = await issuer.issue(
      new TestInstallation().challenge({ v: 2, product: CMS, keyset: before, at: clock.now() }),
      { customerName: 'Acme Corp', model: 'subscription', credentials: 100, plan: 'Standard' },
      'alice',
    );
    expect(offline.keysets).toEqual(own.map((v) => v.token).slice(-1));
    expect(offline.transaction.kid).toBe(key.kid);
  });

  it("rotates a product's key like the vendor's: one next key per product, the old one retired, then revoked", async () => {
    const first = await productKey(CMS.name);
    // The Mobile product may have a next key at the same time as the CMS.
    await issuer.keys.rotate('license', 'alice', { product: MOBILE.name });
    const second = await issuer.keys.rotate('license', 'alice', { product: CMS.name });
    const keysBefore = await issuer.keys.list();
    const setsBefore = await issuer.keys.keysets(CMS.name);
    await expect(
      issuer.keys.rotate('license', 'alice', { product: CMS.name }),
    ).rejects.toMatchObject({ code: 'ERR_KEY_STATE' });
    expect(await issuer.keys.list()).toEqual(keysBefore);
    expect(await issuer.keys.keysets(CMS.name)).toEqual(setsBefore);
    clock.advance(1000);
    await issuer.keys.activate(second.kid, 'alice');
    const states = Object.fromEntries((await issuer.keys.list()).map((k) => [k.kid, k.status]));
    expect(states[first.kid]).toBe('retired');
    await expect(issuer.keys.revoke(second.kid, 'alice')).rejects.toMatchObject({
      code: 'ERR_KEY_ACTIVE',
    });
    await issuer.keys.revoke(first.kid, 'alice', 'laptop lost');
    const last = (await issuer.keys.keysets(CMS.name)).at(-1)!;
    const claims = JSON.parse(Buffer.from(last.token.split('.')[1]!, 'base64url').toString());
    expect(claims.revoked).toContain(first.kid);
    expect(claims.keys.map((k: { kid: string }) => k.kid)).toContain(second.kid);
  });

  it('refuses a product key for a status key or an unknown product, and writes nothing', async () => {
    const keys = await issuer.keys.list();
    const sets = await issuer.keys.keysets();
    await expect(
      issuer.keys.rotate('status', 'alice', { product: CMS.name }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(issuer.keys.rotate('license', 'alice', { product: 'Nope' })).rejects.toMatchObject(
      { code: 'ERR_PRODUCT_NOT_FOUND' },
    );
    await expect(issuer.keys.exportJwks('Nope')).rejects.toMatchObject({
      code: 'ERR_PRODUCT_NOT_FOUND',
    });
    expect(await issuer.keys.list()).toEqual(keys);
    expect(await issuer.keys.keysets()).toEqual(sets);
    expect(await store.listProductKeysets(0)).toEqual([]);
  });

  it("reads a product's private keys only when asked for that product", async () => {
    const key = await productKey(CMS.name);
    const vendor = await store.readPrivateKeys('license');
    expect(vendor.map((k) => k.kid)).not.toContain(key.kid);
    const product = (await issuer.products.get(CMS.name))!;
    expect((await store.readPrivateKeys('license', product.id)).map((k) => k.kid)).toEqual([
      key.kid,
    ]);
    expect(await store.readPrivateKeys('status', product.id)).toEqual([]);
  });

  it('refuses to rename a product with keys of its own, naming the field, and changes nothing', async () => {
    await productKey(CMS.name);
    const before = await issuer.products.get(CMS.name);
    await expect(
      issuer.products.update(CMS.name, { name: 'vSEC:CMS Next' }, 'alice'),
    ).rejects.toMatchObject({ code: 'ERR_PRODUCT_INVALID', field: 'name' });
    expect(await issuer.products.get(CMS.name)).toEqual(before);
    // Its other fields still change; a product without keys is still renamed.
    await issuer.products.update(CMS.name, { description: 'The CMS' }, 'alice');
    expect((await issuer.products.update(MOBILE.name, { name: 'vSEC:Go' }, 'alice')).name).toBe(
      'vSEC:Go',
    );
  });
}
