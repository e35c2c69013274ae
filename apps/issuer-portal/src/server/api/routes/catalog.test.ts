import { Keyring, verifyLicense } from '@licensor/token';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  standardPlan,
} from '../../../../test/helpers.js';

const STANDARD = standardPlan({ value: 100, min: 50, max: 500 });
const TERMS = {
  customerName: 'Acme Bank',
  model: 'subscription',
  credentials: 100,
  plan: 'Standard',
};

let fixture: Fixture;
let admin: LoggedIn;
let issuer: LoggedIn;

const post = (who: LoggedIn, path: string, body: unknown = {}) =>
  who.agent
    .post(`/api/v1${path}`)
    .set('X-CSRF-Token', who.csrf)
    .send(body as object);

beforeEach(async () => {
  fixture = await makePortal();
  admin = await loginAs(fixture, 'alice');
  issuer = await loginAs(fixture, 'ivan');
  await post(admin, '/products', { name: 'vSEC:CMS', versions: ['6'] }).expect(201);
  await post(admin, '/plans', STANDARD).expect(201);
});
afterEach(async () => {
  await fixture.close();
});

describe('products and plans', () => {
  it('an admin keeps the catalogue; every role reads it; an issuer may not change it', async () => {
    const viewer = await loginAs(fixture, 'vera');
    const products = await viewer.agent.get('/api/v1/products').expect(200);
    expect(products.body.items).toEqual([
      expect.objectContaining({ name: 'vSEC:CMS', versions: ['6'], status: 'active' }),
    ]);
    const plans = await viewer.agent.get('/api/v1/plans').expect(200);
    expect(plans.body.items[0]).toMatchObject({
      name: 'Standard',
      revision: 1,
      credentials: { value: 100, min: 50, max: 500 },
    });
    await post(issuer, '/plans', { ...STANDARD, name: 'Gold' }).expect(403);
    await post(admin, '/plans/Standard/archive').expect(200);
    expect((await viewer.agent.get('/api/v1/plans/standard').expect(200)).body.plan.status).toBe(
      'archived',
    );
  });

  it('refuses a plan that contradicts itself (422 naming the field) and a taken name (409)', async () => {
    const bad = await post(admin, '/plans', { ...STANDARD, name: 'Bad', addOns: ['hsm-support'] });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'ERR_PLAN_INVALID' });
    expect(bad.body.error.message).toContain('addOns[0]');
    const taken = await post(admin, '/products', { name: 'VSEC:CMS' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('ERR_NAME_TAKEN');
    const plans = await admin.agent.get('/api/v1/plans').expect(200);
    expect(plans.body.items.map((p: { name: string }) => p.name)).toEqual(['Standard']);
  });

  it('refuses a product whose versions are an empty list or not version prefixes, as its OpenAPI schema says; nothing is created', async () => {
    for (const versions of [[], ['5.x'], ['v6'], Array.from({ length: 65 }, (_, i) => String(i))]) {
      const refused = await post(admin, '/products', { name: 'Other', versions });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('ERR_REQUEST_INVALID');
      expect(refused.body.error.message).toMatch(/versions/);
    }
    const products = await admin.agent.get('/api/v1/products').expect(200);
    expect(products.body.items.map((p: { name: string }) => p.name)).toEqual(['vSEC:CMS']);
    const spaced = await post(admin, '/products', { name: 'Other', versions: [' 6.1 '] }).expect(
      201,
    );
    expect(spaced.body).toMatchObject({ name: 'Other', versions: ['6.1'] });
  });

  it('issues from a plan with an add-on; the license shows its entitlements and filters find it', async () => {
    const challenge = makeChallenge(fixture, newInstallation(), { v: 2 });
    const inspection = await post(issuer, '/challenges/inspect', { challenge }).expect(200);
    expect(inspection.body.entitlements).toMatchObject({ tokenVersion: 2, productCovered: true });
    const issued = await issueThroughApi(issuer, challenge, {
      ...TERMS,
      features: ['mobile-credentials'],
      limits: [{ name: 'sites', value: 5 }],
    });
    const jwks = (await issuer.agent.get('/api/v1/keys/jwks').expect(200)).body;
    const { claims } = verifyLicense(issued.licenseKey, Keyring.fromJwks(jwks));
    expect(claims.features?.map((f) => f.name)).toEqual(['hsm-support', 'mobile-credentials']);
    const detail = await issuer.agent.get(`/api/v1/licenses/${issued.license.id}`).expect(200);
    expect(detail.body.license.entitlements).toMatchObject({
      plan: { name: 'Standard', revision: 1 },
      limits: [{ name: 'sites', value: 5 }],
    });
    const plan = (await issuer.agent.get('/api/v1/plans/Standard').expect(200)).body.plan;
    const byPlan = await issuer.agent.get(`/api/v1/licenses?planId=${plan.id}`).expect(200);
    expect(byPlan.body.items.map((l: { id: string }) => l.id)).toEqual([issued.license.id]);
    const byFeature = await issuer.agent.get('/api/v1/licenses?feature=audit').expect(200);
    expect(byFeature.body.items).toEqual([]);
    const expiring = await issuer.agent.get('/api/v1/licenses?expiringWithinDays=30').expect(200);
    expect(expiring.body.items).toEqual([]);
    const year = await issuer.agent.get('/api/v1/licenses?expiringWithinDays=366').expect(200);
    expect(year.body.items).toHaveLength(1);
  });

  it('refuses terms outside the plan with 422, storing nothing', async () => {
    const challenge = makeChallenge(fixture, newInstallation(), { v: 2 });
    const refused = await post(issuer, '/challenges/issue', {
      challenge,
      terms: { ...TERMS, features: ['teleport'] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('ERR_TERMS_INVALID');
    expect((await issuer.agent.get('/api/v1/licenses').expect(200)).body.items).toEqual([]);
  });

  it('a plan change leaves licenses as issued; the plan lists them; a re-issue brings one up to date', async () => {
    const challenge = makeChallenge(fixture, newInstallation(), { v: 2 });
    const issued = await issueThroughApi(issuer, challenge, TERMS);
    await admin.agent
      .patch('/api/v1/plans/Standard')
      .set('X-CSRF-Token', admin.csrf)
      .send({ features: ['audit', 'hsm-support'] })
      .expect(200);
    const shown = await issuer.agent.get('/api/v1/plans/Standard').expect(200);
    expect(shown.body.affected).toEqual([
      {
        licenseId: issued.license.id,
        customerName: 'Acme Bank',
        issuedFromRevision: 1,
        changes: ['features: + audit'],
      },
    ]);
    const reissued = await post(issuer, `/licenses/${issued.license.id}/reissue`).expect(201);
    expect(reissued.body.license).toMatchObject({ revision: 2 });
    expect((await issuer.agent.get('/api/v1/plans/Standard').expect(200)).body).toMatchObject({
      affected: [],
      affectedNextCursor: null,
    });
  });

  it("pages a plan's affected licenses by cursor: each once, limit bounded, a bad cursor is 400", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const challenge = makeChallenge(fixture, newInstallation(), { v: 2 });
      ids.push((await issueThroughApi(issuer, challenge, TERMS)).license.id);
    }
    await admin.agent
      .patch('/api/v1/plans/Standard')
      .set('X-CSRF-Token', admin.csrf)
      .send({ features: ['audit', 'hsm-support'] })
      .expect(200);
    const shown = (await issuer.agent.get('/api/v1/plans/Standard').expect(200)).body;
    expect(shown.affected.map((c: { licenseId: string }) => c.licenseId)).toEqual([...ids].sort());
    expect(shown.affectedNextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    while (cursor !== null) {
      const page = (
        await issuer.agent
          .get('/api/v1/plans/Standard/affected')
          .query({ limit: 2, ...(cursor === undefined ? {} : { cursor }) })
          .expect(200)
      ).body;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c: { licenseId: string }) => c.licenseId));
      cursor = page.nextCursor;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].sort());

    const affected = (query: Record<string, unknown>) =>
      issuer.agent.get('/api/v1/plans/Standard/affected').query(query);
    expect((await affected({}).expect(200)).body.items).toHaveLength(5);
    expect((await affected({ limit: 200 }).expect(200)).body.nextCursor).toBeNull();
    for (const limit of [0, 201, 'x']) {
      expect((await affected({ limit }).expect(400)).body.error.code).toBe('ERR_REQUEST_INVALID');
    }
    const bad = await affected({ cursor: 'not-a-cursor' }).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(bad.body.error.message).toMatch(/cursor is not a cursor this list gave out/);
    const missing = await issuer.agent.get('/api/v1/plans/Nope/affected').expect(404);
    expect(missing.body.error.code).toBe('ERR_NOT_FOUND');
  });

  it('refuses a re-issue outside the plan (422 naming the field), leaving the license as it was', async () => {
    const issued = await issueThroughApi(
      issuer,
      makeChallenge(fixture, newInstallation(), { v: 2 }),
      {
        ...TERMS,
        limits: [{ name: 'sites', value: 5 }],
      },
    );
    const before = (await issuer.agent.get(`/api/v1/licenses/${issued.license.id}`).expect(200))
      .body;
    for (const body of [
      { limits: [{ name: 'sites', value: 11 }] },
      { features: ['teleport'] },
      { limits: [{ name: 'seats', value: 2 }] },
    ]) {
      const refused = await post(issuer, `/licenses/${issued.license.id}/reissue`, body);
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('ERR_TERMS_INVALID');
    }
    const after = (await issuer.agent.get(`/api/v1/licenses/${issued.license.id}`).expect(200))
      .body;
    expect(after.license).toEqual(before.license);
    expect(after.transactions).toHaveLength(before.transactions.length);
  });

  it("renews by the plan's renewal policy; too early is 409 ERR_RENEWAL_TOO_EARLY and changes nothing", async () => {
    const yearly = await post(admin, '/plans', {
      ...STANDARD,
      name: 'Yearly',
      graceDays: { value: 14, min: 7, max: 30 },
      renewalDays: 365,
      renewalGraceDays: 21,
      renewalWindowDays: 30,
    }).expect(201);
    expect(yearly.body).toMatchObject({ renewalGraceDays: 21, renewalWindowDays: 30 });
    const plain = (await issuer.agent.get('/api/v1/plans/Standard').expect(200)).body.plan;
    expect(plain).toMatchObject({ renewalGraceDays: null, renewalWindowDays: null });
    const issued = await issueThroughApi(
      issuer,
      makeChallenge(fixture, newInstallation(), { v: 2 }),
      {
        ...TERMS,
        plan: 'Yearly',
      },
    );
    const early = await post(issuer, `/licenses/${issued.license.id}/renew`).expect(409);
    expect(early.body.error.code).toBe('ERR_RENEWAL_TOO_EARLY');
    const detail = (await issuer.agent.get(`/api/v1/licenses/${issued.license.id}`).expect(200))
      .body;
    expect(detail.license.revision).toBe(1);
    fixture.advance(340 * 86_400_000);
    issuer = await loginAs(fixture, 'ivan'); // the session of 340 days ago has expired
    const renewed = await post(issuer, `/licenses/${issued.license.id}/renew`).expect(201);
    expect(renewed.body.license.revision).toBe(2);
    expect(renewed.body.license.term.grace).toBe(21 * 86_400);
    expect(renewed.body.license.term.end).toBe(detail.license.term.end + 365 * 86_400);
  });

  describe('approving a request from a plan (#12)', () => {
    /** A perpetual license without a plan, then its installation asks to switch to subscription. */
    async function switchRequest(): Promise<string> {
      const installation = newInstallation();
      const issued = await issueThroughApi(issuer, makeChallenge(fixture, installation, { v: 2 }), {
        customerName: 'Acme Bank',
        model: 'perpetual',
        credentials: 100,
      });
      const challenge = makeChallenge(fixture, installation, {
        v: 2,
        license: {
          id: issued.license.id,
          revision: 1,
          customerName: 'Acme Bank',
          model: 'perpetual',
        },
        request: { kind: 'model-switch', model: 'subscription' },
      });
      const inspected = await post(issuer, '/challenges/inspect', { challenge }).expect(200);
      return inspected.body.approvalRequest.id;
    }

    it('signs a key with the plan, an add-on and a limit within its bounds', async () => {
      const id = await switchRequest();
      const approved = await post(issuer, `/requests/${id}/approve`, {
        plan: 'Standard',
        features: ['mobile-credentials'],
        limits: [{ name: 'sites', value: 7 }],
      }).expect(201);
      const jwks = (await issuer.agent.get('/api/v1/keys/jwks').expect(200)).body;
      const { claims } = verifyLicense(approved.body.licenseKey, Keyring.fromJwks(jwks));
      expect(claims.model).toBe('subscription');
      expect(claims.features?.map((f) => f.name)).toEqual(['hsm-support', 'mobile-credentials']);
      expect(claims.limits).toEqual([{ name: 'sites', value: 7 }]);
      expect(approved.body.request.status).toBe('approved');
      const detail = await issuer.agent
        .get(`/api/v1/licenses/${approved.body.license.id}`)
        .expect(200);
      expect(detail.body.license.entitlements.plan).toMatchObject({ name: 'Standard' });
      // The same approval again is the same key; other entitlements are refused, naming them.
      const again = await post(issuer, `/requests/${id}/approve`, {
        plan: 'Standard',
        features: ['mobile-credentials'],
        limits: [{ name: 'sites', value: 7 }],
      }).expect(201);
      expect(again.body).toMatchObject({
        replayed: true,
        licenseKey: approved.body.licenseKey,
      });
      for (const [body, what] of [
        [{ features: [] }, /features none, not mobile-credentials/],
        [{ limits: [{ name: 'sites', value: 8 }] }, /limits sites=8, not sites=7/],
        [{ plan: 'Premium' }, /plan Premium, not Standard/],
      ] as const) {
        const refused = await post(issuer, `/requests/${id}/approve`, body).expect(409);
        expect(refused.body.error.code).toBe('ERR_CHALLENGE_USED');
        expect(refused.body.error.message).toMatch(what);
      }
    });

    it('refuses entitlements outside the plan with 422 naming the field; the request stays pending', async () => {
      const id = await switchRequest();
      const before = (await issuer.agent.get(`/api/v1/requests/${id}`).expect(200)).body;
      const terms = [422, 'ERR_TERMS_INVALID'];
      const cases: [object, unknown[], RegExp][] = [
        [{ plan: 'Standard', limits: [{ name: 'sites', value: 11 }] }, terms, /sites/],
        [{ plan: 'Standard', features: ['teleport'] }, terms, /teleport/],
        [{ plan: 'Standard', limits: [{ name: 'seats', value: 2 }] }, terms, /seats/],
        [{ plan: 'Nonesuch' }, [404, 'ERR_PLAN_NOT_FOUND'], /Nonesuch/],
      ];
      for (const [body, refusal, names] of cases) {
        const refused = await post(issuer, `/requests/${id}/approve`, body);
        expect([refused.status, refused.body.error.code]).toEqual(refusal);
        expect(refused.body.error.message).toMatch(names);
      }
      // A name outside the schema's pattern never reaches the issuer.
      const malformed = await post(issuer, `/requests/${id}/approve`, { features: ['Not A Name'] });
      expect([malformed.status, malformed.body.error.code]).toEqual([400, 'ERR_REQUEST_INVALID']);
      expect(malformed.body.error.message).toMatch(/features/);
      const after = (await issuer.agent.get(`/api/v1/requests/${id}`).expect(200)).body;
      expect(after).toEqual(before);
      expect(after.status).toBe('pending');
      const license = await issuer.agent.get(`/api/v1/licenses/${before.licenseId}`).expect(200);
      expect(license.body.license).toMatchObject({ revision: 1, model: 'perpetual' });
      expect(license.body.transactions).toHaveLength(1);
    });
  });
});

describe('automatic renewal (#12.3)', () => {
  it('a plan renews automatically when the admin says so; a perpetual one is refused naming the field', async () => {
    const auto = { ...STANDARD, name: 'Auto', renewalDays: 365, autoRenew: true };
    const made = await post(admin, '/plans', auto).expect(201);
    expect(made.body).toMatchObject({ name: 'Auto', autoRenew: true });
    const before = (await admin.agent.get('/api/v1/plans').expect(200)).body.items;
    const refused = await post(admin, '/plans', {
      name: 'Forever',
      model: 'perpetual',
      credentials: 10,
      autoRenew: true,
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.error).toMatchObject({ code: 'ERR_PLAN_INVALID' });
    expect(refused.body.error.message).toMatch(/autoRenew/);
    expect((await admin.agent.get('/api/v1/plans').expect(200)).body.items).toEqual(before);
    // Switched off again: the policy is gone from the plan.
    const off = await admin.agent
      .patch('/api/v1/plans/Auto')
      .set('X-CSRF-Token', admin.csrf)
      .send({ autoRenew: false });
    expect(off.status).toBe(200);
    expect(off.body.autoRenew).toBeUndefined();
  });
});
