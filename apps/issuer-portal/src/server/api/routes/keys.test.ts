import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  storeState,
} from '../../../../test/helpers.js';

let fixture: Fixture;
beforeEach(async () => {
  fixture = await makePortal();
});
afterEach(async () => {
  await fixture.close();
});

describe('signing keys', () => {
  it('lists the public halves of one license and one status key', async () => {
    const viewer = await loginAs(fixture, 'vera');
    const response = await viewer.agent.get('/api/v1/keys').expect(200);
    expect(response.body.items.map((k: { purpose: string }) => k.purpose).sort()).toEqual([
      'license',
      'status',
    ]);
    for (const key of response.body.items)
      expect(Object.keys(key.publicKey).sort()).toEqual(['crv', 'kty', 'x']);
  });

  it('downloads the JWKS as an attachment', async () => {
    const viewer = await loginAs(fixture, 'vera');
    const response = await viewer.agent.get('/api/v1/keys/jwks?download=true').expect(200);
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="licensor-jwks.json"',
    );
    expect(response.body.keys).toHaveLength(2);
    expect(JSON.stringify(response.body)).not.toMatch(/"d"/);
  });

  it('rotates a key for an admin: the new one is next and already in the JWKS', async () => {
    const admin = await loginAs(fixture, 'alice');
    const rotated = await admin.agent
      .post('/api/v1/keys/rotate')
      .set('X-CSRF-Token', admin.csrf)
      .send({ purpose: 'license' })
      .expect(201);
    expect(rotated.body).toMatchObject({ purpose: 'license', status: 'next' });
    const jwks = await admin.agent.get('/api/v1/keys/jwks').expect(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(rotated.body.kid);
    expect(jwks.body.keys).toHaveLength(3);
  });

  it('activates the next key, retires the old one, revokes it: it leaves the JWKS', async () => {
    const admin = await loginAs(fixture, 'alice');
    const post = (path: string, body: object = {}) =>
      admin.agent.post(`/api/v1${path}`).set('X-CSRF-Token', admin.csrf).send(body);
    const before = (await admin.agent.get('/api/v1/keys')).body.items.find(
      (k: { purpose: string }) => k.purpose === 'license',
    );
    const rotated = (await post('/keys/rotate', { purpose: 'license' })).body;
    expect((await post(`/keys/${rotated.kid}/activate`).expect(200)).body).toMatchObject({
      status: 'active',
      alreadyActive: false,
      resigned: 0,
    });
    // Again: nothing left to re-sign; the answer says so and the audit log has no second entry.
    const activations = () =>
      fixture.issuer.listAuditEvents({ subjectId: rotated.kid, action: 'key.activate' });
    expect(await activations()).toHaveLength(1);
    expect((await post(`/keys/${rotated.kid}/activate`).expect(200)).body).toMatchObject({
      kid: rotated.kid,
      status: 'active',
      alreadyActive: true,
      resigned: 0,
    });
    expect(await activations()).toHaveLength(1);
    const retired = await post(`/keys/${before.kid}/retire`).expect(200);
    expect(retired.body.status).toBe('retired');
    // Retired: still trusted for what it signed.
    const trusted = await admin.agent.get('/api/v1/keys/jwks');
    expect(trusted.body.keys.map((k: { kid: string }) => k.kid)).toContain(before.kid);
    const revoked = await post(`/keys/${before.kid}/revoke`, { reason: 'test' }).expect(200);
    expect(revoked.body).toMatchObject({ key: { status: 'revoked' }, dependents: [] });
    const jwks = await admin.agent.get('/api/v1/keys/jwks');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).not.toContain(before.kid);
    const keysets = await admin.agent.get('/api/v1/keys/keysets').expect(200);
    expect(keysets.body.items.map((k: { seq: number }) => k.seq)).toEqual([1, 2, 3, 4]);
    await post(`/keys/${before.kid}/activate`).expect(409);
  });

  it('says how many licenses an activation re-signed', async () => {
    const admin = await loginAs(fixture, 'alice');
    const post = (path: string, body: object = {}) =>
      admin.agent.post(`/api/v1${path}`).set('X-CSRF-Token', admin.csrf).send(body);
    for (let i = 0; i < 2; i++) {
      await issueThroughApi(admin, makeChallenge(fixture, newInstallation()));
    }
    const rotated = (await post('/keys/rotate', { purpose: 'license' })).body;
    expect((await post(`/keys/${rotated.kid}/activate`).expect(200)).body).toMatchObject({
      kid: rotated.kid,
      alreadyActive: false,
      resigned: 2,
    });
    // Again: the retired key signs nothing any more.
    expect((await post(`/keys/${rotated.kid}/activate`).expect(200)).body).toMatchObject({
      alreadyActive: true,
      resigned: 0,
    });
  });

  it('counts what each key signed and the installations on each key set version (#11)', async () => {
    const admin = await loginAs(fixture, 'alice');
    const post = (path: string, body: object = {}) =>
      admin.agent.post(`/api/v1${path}`).set('X-CSRF-Token', admin.csrf).send(body);
    const old = (await admin.agent.get('/api/v1/keys')).body.items.find(
      (k: { purpose: string }) => k.purpose === 'license',
    ).kid;
    // Two installations on the shipped keys (format 2 challenges, version 0), then a rotation.
    for (const installation of [newInstallation(), newInstallation()]) {
      await issueThroughApi(admin, makeChallenge(fixture, installation, { v: 2, keyset: 0 }));
    }
    const next = (await post('/keys/rotate', { purpose: 'license' })).body.kid;
    await post(`/keys/${next}/activate`).expect(200);
    // A third installation already trusts the newest version.
    const newest = (await admin.agent.get('/api/v1/keys/keysets')).body.items.at(-1).seq;
    await issueThroughApi(
      admin,
      makeChallenge(fixture, newInstallation(), { v: 2, keyset: newest }),
    );

    const viewer = await loginAs(fixture, 'vera');
    const usage = (await viewer.agent.get('/api/v1/keys/usage').expect(200)).body;
    const signed = Object.fromEntries(
      usage.keys.map((k: { kid: string; tokens: number; licenses: number }) => [
        k.kid,
        [k.tokens, k.licenses],
      ]),
    );
    // The old key issued two; the new one re-signed them and issued the third.
    expect(signed[old]).toEqual([2, 2]);
    expect(signed[next]).toEqual([3, 3]);
    expect(usage).toMatchObject({
      newestKeyset: newest,
      installationsReporting: 3,
      installationsOnNewest: 1,
    });
    expect(
      usage.keysets.map((k: { seq: number; installations: number }) => [k.seq, k.installations]),
    ).toEqual([
      [0, 2],
      [1, 0],
      [2, 0],
      [3, 1],
    ]);
    const one = await viewer.agent.get(`/api/v1/keys/${next}/usage`).expect(200);
    expect(one.body).toMatchObject({ kid: next, status: 'active', tokens: 3, licenses: 3 });
    const missing = await viewer.agent.get('/api/v1/keys/no-such-kid/usage').expect(404);
    expect(missing.body.error.code).toBe('ERR_KEY_NOT_FOUND');
  });

  it('refuses to retire the only active key of a purpose (409 ERR_KEY_ACTIVE)', async () => {
    const admin = await loginAs(fixture, 'alice');
    const key = (await admin.agent.get('/api/v1/keys')).body.items[0];
    const before = await storeState(fixture);
    const response = await admin.agent
      .post(`/api/v1/keys/${key.kid}/retire`)
      .set('X-CSRF-Token', admin.csrf)
      .send({})
      .expect(409);
    expect(response.body.error.code).toBe('ERR_KEY_ACTIVE');
    expect(await storeState(fixture)).toEqual(before);
  });

  it('does not let an issuer rotate keys (403 ERR_FORBIDDEN)', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await issuer.agent
      .post('/api/v1/keys/rotate')
      .set('X-CSRF-Token', issuer.csrf)
      .send({ purpose: 'license' })
      .expect(403);
    expect(response.body.error.code).toBe('ERR_FORBIDDEN');
    expect(await fixture.issuer.keys.list()).toHaveLength(2);
  });
});

describe("a product's own license keys (#12.1)", () => {
  it("rotates and activates a product's key, exports the product's JWKS and key sets, and refuses an unknown product", async () => {
    const admin = await loginAs(fixture, 'alice');
    const post = (path: string, body: object = {}) =>
      admin.agent.post(`/api/v1${path}`).set('X-CSRF-Token', admin.csrf).send(body);
    const product = (await post('/products', { name: 'vSEC:CMS' }).expect(201)).body;
    const rotated = await post('/keys/rotate', { purpose: 'license', product: 'vSEC:CMS' }).expect(
      201,
    );
    expect(rotated.body).toMatchObject({ status: 'next', product: product.id });
    await post(`/keys/${rotated.body.kid}/activate`).expect(200);
    const listed = (await admin.agent.get('/api/v1/keys').expect(200)).body.items;
    expect(listed.find((k: { kid: string }) => k.kid === rotated.body.kid)).toMatchObject({
      status: 'active',
      product: product.id,
    });
    const jwks = await admin.agent.get('/api/v1/keys/jwks?product=vSEC:CMS').expect(200);
    expect(jwks.body.keys.find((k: { kid: string }) => k.kid === rotated.body.kid)).toMatchObject({
      product: 'vSEC:CMS',
    });
    const vendor = await admin.agent.get('/api/v1/keys/jwks').expect(200);
    expect(vendor.body.keys.map((k: { kid: string }) => k.kid)).not.toContain(rotated.body.kid);
    const sets = await admin.agent.get('/api/v1/keys/keysets?product=vSEC:CMS').expect(200);
    const newest = sets.body.items.at(-1);
    expect(newest.kids).toContain(rotated.body.kid);
    // The same product by id or in another case: its versions, not the vendor's.
    for (const asked of [product.id, 'vsec:cms']) {
      const same = await admin.agent.get('/api/v1/keys/keysets').query({ product: asked });
      expect(same.status).toBe(200);
      expect(same.body.items).toEqual(sets.body.items);
    }
    const none = await admin.agent.get('/api/v1/keys/keysets').query({ product: 'NoSuchProduct' });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('ERR_PRODUCT_NOT_FOUND');

    const before = (await admin.agent.get('/api/v1/keys').expect(200)).body.items;
    const unknown = await post('/keys/rotate', { purpose: 'license', product: 'Nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ERR_PRODUCT_NOT_FOUND');
    const status = await post('/keys/rotate', { purpose: 'status', product: 'vSEC:CMS' });
    expect(status.status).toBe(400);
    expect(status.body.error.code).toBe('ERR_INPUT_INVALID');
    expect((await admin.agent.get('/api/v1/keys').expect(200)).body.items).toEqual(before);
  });
});
