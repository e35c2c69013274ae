import { stepChain } from '@licensor/issuer/checks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  SUBSCRIPTION_TERMS,
  storeState,
} from '../../../../test/helpers.js';

let fixture: Fixture;
let issuer: LoggedIn;
let perpetualId: string;
let subscriptionId: string;

beforeEach(async () => {
  fixture = await makePortal();
  issuer = await loginAs(fixture, 'ivan');
  perpetualId = (await issueThroughApi(issuer, makeChallenge(fixture, newInstallation()))).license
    .id;
  subscriptionId = (
    await issueThroughApi(issuer, makeChallenge(fixture, newInstallation()), {
      ...SUBSCRIPTION_TERMS,
      termDays: 20,
    })
  ).license.id;
});
afterEach(async () => {
  await fixture.close();
});

describe('GET /licenses', () => {
  it('lists every license to a viewer', async () => {
    const viewer = await loginAs(fixture, 'vera');
    const response = await viewer.agent.get('/api/v1/licenses').expect(200);
    expect(response.body.items.map((l: { id: string }) => l.id).sort()).toEqual(
      [perpetualId, subscriptionId].sort(),
    );
  });

  it('filters by model, state, customer name and expiring soon', async () => {
    const ids = async (query: Record<string, string>) =>
      (await issuer.agent.get('/api/v1/licenses').query(query).expect(200)).body.items.map(
        (l: { id: string }) => l.id,
      );
    expect(await ids({ model: 'perpetual' })).toEqual([perpetualId]);
    expect(await ids({ q: 'globex' })).toEqual([subscriptionId]);
    expect(await ids({ expiringWithinDays: '30' })).toEqual([subscriptionId]);
    expect(await ids({ expiringWithinDays: '10' })).toEqual([]);
    expect(await ids({ state: 'revoked' })).toEqual([]);
  });

  it('pages by cursor: nextCursor leads to the next page, null on the last', async () => {
    await issueThroughApi(issuer, makeChallenge(fixture, newInstallation()));
    const all = (await issuer.agent.get('/api/v1/licenses').expect(200)).body;
    expect(all.items).toHaveLength(3);
    expect(all.nextCursor).toBeNull();
    const ids: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    while (cursor !== null) {
      const response = await issuer.agent
        .get('/api/v1/licenses')
        .query({ limit: 2, ...(cursor === undefined ? {} : { cursor }) })
        .expect(200);
      ids.push(...response.body.items.map((l: { id: string }) => l.id));
      cursor = response.body.nextCursor;
      pages += 1;
    }
    expect(pages).toBe(2);
    expect(ids).toEqual(all.items.map((l: { id: string }) => l.id));
    // A full last page says it is the last: no empty page after it.
    const exact = await issuer.agent.get('/api/v1/licenses').query({ limit: 3 }).expect(200);
    expect(exact.body.nextCursor).toBeNull();
  });

  it('pages back by prevCursor (before=), null on the first page', async () => {
    for (let i = 0; i < 3; i += 1) {
      fixture.advance(1_000);
      await issueThroughApi(issuer, makeChallenge(fixture, newInstallation()));
    }
    const list = (query: Record<string, string | number>) =>
      issuer.agent.get('/api/v1/licenses').query(query).expect(200);
    const all = (await list({})).body.items.map((l: { id: string }) => l.id);
    expect(all).toHaveLength(5);
    const first = (await list({ limit: 2 })).body;
    expect(first.prevCursor).toBeNull();
    const second = (await list({ limit: 2, cursor: first.nextCursor })).body;
    const third = (await list({ limit: 2, cursor: second.nextCursor })).body;
    expect(third.items.map((l: { id: string }) => l.id)).toEqual(all.slice(4));
    // Back from the third page: the second, then the first, which says it is the first.
    const back = (await list({ limit: 2, before: third.prevCursor })).body;
    expect(back.items).toEqual(second.items);
    expect(back.nextCursor).toBe(second.nextCursor);
    const top = (await list({ limit: 2, before: back.prevCursor })).body;
    expect(top.items).toEqual(first.items);
    expect(top.prevCursor).toBeNull();
    // The first page read by offset 0 has none either; a later one by offset has one.
    expect((await list({ limit: 2, offset: 2 })).body.prevCursor).toBe(second.prevCursor);
    // before= with cursor= or offset= is refused, naming before.
    for (const extra of [{ cursor: first.nextCursor }, { offset: 1 }]) {
      const refused = await issuer.agent
        .get('/api/v1/licenses')
        .query({ limit: 2, before: third.prevCursor, ...extra })
        .expect(400);
      expect(refused.body.error.code).toBe('ERR_INPUT_INVALID');
      expect(refused.body.error.message).toMatch(/before/);
    }
  });

  it('refuses a cursor it did not give out with 400 ERR_INPUT_INVALID', async () => {
    const response = await issuer.agent
      .get('/api/v1/licenses')
      .query({ cursor: 'bm90LWEtY3Vyc29y' })
      .expect(400);
    expect(response.body.error.code).toBe('ERR_INPUT_INVALID');
    expect(response.body.error.message).toMatch(/nextCursor/);
  });

  it('pages with limit and offset, in one stable order', async () => {
    const page = async (limit: number, offset: number) =>
      (
        await issuer.agent.get('/api/v1/licenses').query({ limit, offset }).expect(200)
      ).body.items.map((l: { id: string }) => l.id);
    const all = await page(10, 0);
    expect(all).toHaveLength(2);
    expect([...(await page(1, 0)), ...(await page(1, 1))]).toEqual(all);
    expect(await page(1, 2)).toEqual([]);
    const refused = await issuer.agent.get('/api/v1/licenses?offset=-1').expect(400);
    expect(refused.body.error.code).toBe('ERR_REQUEST_INVALID');
  });

  it('refuses an unknown state with ERR_REQUEST_INVALID', async () => {
    const response = await issuer.agent.get('/api/v1/licenses?state=deleted').expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('GET /customers', () => {
  it('pages the customers by name, by cursor', async () => {
    const all = (await issuer.agent.get('/api/v1/customers').expect(200)).body;
    expect(all.items.map((c: { name: string }) => c.name)).toHaveLength(2);
    expect(all.nextCursor).toBeNull();
    const first = (await issuer.agent.get('/api/v1/customers?limit=1').expect(200)).body;
    expect(first.items).toEqual([all.items[0]]);
    const second = (
      await issuer.agent.get('/api/v1/customers').query({ limit: 1, cursor: first.nextCursor })
    ).body;
    expect(second).toEqual({ items: [all.items[1]], nextCursor: null });
    const refused = await issuer.agent.get('/api/v1/customers?cursor=x').expect(400);
    expect(refused.body.error.code).toBe('ERR_INPUT_INVALID');
  });

  it('finds the customers whose name starts with q, case folded; a q too long is 400, an empty one is none', async () => {
    const all = (await issuer.agent.get('/api/v1/customers').expect(200)).body.items;
    const names = all.map((c: { name: string }) => c.name);
    const [firstName] = names as string[];
    const prefix = firstName!.slice(0, 3);
    const found = (
      await issuer.agent.get('/api/v1/customers').query({ q: prefix.toUpperCase() }).expect(200)
    ).body;
    expect(found.items.map((c: { name: string }) => c.name)).toEqual(
      names.filter((n: string) => n.toLowerCase().startsWith(prefix.toLowerCase())),
    );
    expect(found.items.length).toBeGreaterThan(0);
    const one = await issuer.agent.get(`/api/v1/customers/${found.items[0].id}`).expect(200);
    expect(one.body).toEqual(found.items[0]);
    const missing = await issuer.agent.get('/api/v1/customers/cus_nobody').expect(404);
    expect(missing.body.error.code).toBe('ERR_NOT_FOUND');
    const none = (await issuer.agent.get('/api/v1/customers').query({ q: 'zzz-nobody' })).body;
    expect(none).toEqual({ items: [], nextCursor: null });
    const refused = await issuer.agent
      .get('/api/v1/customers')
      .query({ q: 'x'.repeat(201) })
      .expect(400);
    expect(refused.body.error.code).toBe('ERR_REQUEST_INVALID');
    // An empty q is an absent one (as a form sends a field left blank): every customer.
    const blank = await issuer.agent.get('/api/v1/customers').query({ q: '' }).expect(200);
    expect(blank.body.items).toEqual(all);
  });
});

describe('GET /licenses/:id', () => {
  it('shows the license with its installation, transactions and checks', async () => {
    const response = await issuer.agent.get(`/api/v1/licenses/${perpetualId}`).expect(200);
    expect(response.body.license).toMatchObject({ id: perpetualId, state: 'active', revision: 1 });
    expect(response.body.installation.id).toBe(response.body.license.installationId);
    expect(response.body.transactions.map((t: { kind: string }) => t.kind)).toEqual(['issue']);
    expect(response.body.checks).toEqual([]);
  });

  it('shows the online checks the verify service recorded, with reported usage', async () => {
    const detail = (await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`)).body;
    await fixture.issuer.store.recordChecks([
      {
        id: 'chk_test_1',
        at: fixture.clock.now,
        licenseId: subscriptionId,
        installationId: detail.license.installationId,
        sdkVersion: '0.1.0',
        credentialsInUse: 42,
        outcome: 'VALID',
      },
    ]);
    const response = await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`).expect(200);
    expect(response.body.checks).toEqual([
      expect.objectContaining({ id: 'chk_test_1', credentialsInUse: 42, outcome: 'VALID' }),
    ]);
    expect(response.body.lastCheck).toEqual({
      at: fixture.clock.now,
      outcome: 'VALID',
      credentialsInUse: 42,
      source: 'raw',
    });
    // Past the retention window the raw record is rolled up and dropped: the last check stays.
    await fixture.issuer.store.rollUpChecks({ keepMs: 0, now: fixture.clock.now + 2 * 86_400_000 });
    const later = await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`).expect(200);
    expect(later.body.checks).toEqual([]);
    expect(later.body.lastCheck).toEqual({
      at: fixture.clock.now,
      outcome: 'VALID',
      credentialsInUse: 42,
      source: 'roll-up',
    });
  });

  it('shows a possible copy the verify service recorded, with both sides and the policy', async () => {
    const detail = (await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`)).body;
    const installationId = detail.license.installationId as string;
    const step = (presented: string | null, token: string, address: string, inUse: number) =>
      stepChain(
        fixture.issuer.store.chains,
        {
          installationId,
          licenseId: subscriptionId,
          presented,
          checkToken: token,
          evidence: {
            at: fixture.clock.now,
            address,
            credentialsInUse: inUse,
            sdkVersion: '0.2.0',
            presented,
          },
          now: fixture.clock.now,
        },
        'warn',
      );
    const start = await step(null, 's', '10.0.0.1', 5);
    const original = await step(start.next, 'o', '10.0.0.1', 5);
    const copy = await step(start.next, 'c', '10.0.0.2', 8);
    await step(original.next, 'o2', '10.0.0.1', 6);
    await step(copy.next, 'c2', '10.0.0.2', 9);
    await fixture.issuer.forks.setPolicy(subscriptionId, 'suspend', 'ivan');
    const response = await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`).expect(200);
    expect(response.body.forkPolicy).toBe('suspend');
    expect(response.body.forks).toEqual([
      expect.objectContaining({
        status: 'open',
        copy: expect.objectContaining({ address: '10.0.0.2', credentialsInUse: 9 }),
        original: expect.objectContaining({ address: '10.0.0.1', credentialsInUse: 6 }),
      }),
    ]);
    const clean = await issuer.agent.get(`/api/v1/licenses/${perpetualId}`).expect(200);
    expect(clean.body).toMatchObject({ forks: [], forkPolicy: null });
  });

  it('answers 404 ERR_NOT_FOUND for an unknown license', async () => {
    const response = await issuer.agent.get('/api/v1/licenses/lic_doesnotexist').expect(404);
    expect(response.body.error.code).toBe('ERR_NOT_FOUND');
  });
});

describe('license actions', () => {
  it('suspends, resumes and revokes, each in the history and the audit log', async () => {
    const path = `/api/v1/licenses/${perpetualId}`;
    const suspended = await issuer.agent
      .post(`${path}/suspend`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ reason: 'invoice overdue' })
      .expect(200);
    expect(suspended.body.license).toMatchObject({
      state: 'suspended',
      stateReason: 'invoice overdue',
    });
    await issuer.agent.post(`${path}/resume`).set('X-CSRF-Token', issuer.csrf).send({}).expect(200);
    const revoked = await issuer.agent
      .post(`${path}/revoke`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ reason: 'contract ended' })
      .expect(200);
    expect(revoked.body.license.state).toBe('revoked');
    const detail = await issuer.agent.get(path).expect(200);
    expect(detail.body.transactions.map((t: { kind: string }) => t.kind).sort()).toEqual(
      ['issue', 'resume', 'revoke', 'suspend'].sort(),
    );
    const audit = await fixture.issuer.listAuditEvents({ subjectId: perpetualId });
    const actions = audit.filter((e) => e.actor === 'ivan').map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining([expect.stringContaining('revoke')]));
  });

  it('refuses to resume a revoked license with 409 and the issuer’s code', async () => {
    const path = `/api/v1/licenses/${perpetualId}`;
    await issuer.agent.post(`${path}/revoke`).set('X-CSRF-Token', issuer.csrf).send({}).expect(200);
    const before = await storeState(fixture);
    const response = await issuer.agent
      .post(`${path}/resume`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({})
      .expect(409);
    expect(response.body.error.code).toBe('ERR_LICENSE_STATE');
    expect(await storeState(fixture)).toEqual(before);
  });

  it('renews a subscription: a new key with a higher revision', async () => {
    const response = await issuer.agent
      .post(`/api/v1/licenses/${subscriptionId}/renew`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ termDays: 365 })
      .expect(201);
    expect(response.body.license.revision).toBe(2);
    expect(response.body.licenseKey).toEqual(expect.any(String));
  });

  it.each([
    'Globex\ud800',
    '\u0085',
    'Glo\u2028bex', // '\u2028' alone trims to nothing: 400 ERR_REQUEST_INVALID, below
  ])(
    'refuses to rename a customer to %j, a name no key can carry (422), and keeps the name',
    async (name) => {
      const { customerId } = (await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`)).body
        .license;
      const before = await fixture.issuer.getCustomer(customerId);
      const response = await issuer.agent
        .patch(`/api/v1/customers/${customerId}`)
        .set('X-CSRF-Token', issuer.csrf)
        .send({ name })
        .expect(422);
      expect(response.body.error).toMatchObject({ code: 'ERR_TERMS_INVALID' });
      expect(response.body.error.message).toMatch(/customerName/);
      expect(await fixture.issuer.getCustomer(customerId)).toEqual(before);
      await issuer.agent
        .post(`/api/v1/licenses/${subscriptionId}/renew`)
        .set('X-CSRF-Token', issuer.csrf)
        .send({ termDays: 365 })
        .expect(201);
    },
  );

  it('refuses a name that trims to nothing (400 ERR_REQUEST_INVALID) and keeps the name', async () => {
    const { customerId } = (await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`)).body
      .license;
    const before = await fixture.issuer.getCustomer(customerId);
    const response = await issuer.agent
      .patch(`/api/v1/customers/${customerId}`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ name: '\u2028' })
      .expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
    expect(await fixture.issuer.getCustomer(customerId)).toEqual(before);
  });

  it('renames a customer to any name a key can carry, and the next key carries it', async () => {
    const { customerId } = (await issuer.agent.get(`/api/v1/licenses/${subscriptionId}`)).body
      .license;
    await issuer.agent
      .patch(`/api/v1/customers/${customerId}`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ name: 'Glöbex 😀 株式会社' })
      .expect(200);
    const renewed = await issuer.agent
      .post(`/api/v1/licenses/${subscriptionId}/renew`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ termDays: 365 })
      .expect(201);
    expect(renewed.body.license.customerName).toBe('Glöbex 😀 株式会社');
  });

  it('refuses to renew a perpetual license (ERR_NOT_SUBSCRIPTION)', async () => {
    const response = await issuer.agent
      .post(`/api/v1/licenses/${perpetualId}/renew`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ termDays: 365 })
      .expect(409);
    expect(response.body.error.code).toBe('ERR_NOT_SUBSCRIPTION');
  });

  it('lets a viewer read but not revoke', async () => {
    const viewer = await loginAs(fixture, 'vera');
    const response = await viewer.agent
      .post(`/api/v1/licenses/${perpetualId}/revoke`)
      .set('X-CSRF-Token', viewer.csrf)
      .send({})
      .expect(403);
    expect(response.body.error.code).toBe('ERR_FORBIDDEN');
    expect((await fixture.issuer.getLicense(perpetualId))!.license.state).toBe('active');
  });

  it('refuses a revoke without the CSRF token', async () => {
    const response = await issuer.agent
      .post(`/api/v1/licenses/${perpetualId}/revoke`)
      .send({})
      .expect(403);
    expect(response.body.error.code).toBe('ERR_CSRF_INVALID');
    expect((await fixture.issuer.getLicense(perpetualId))!.license.state).toBe('active');
  });
});
