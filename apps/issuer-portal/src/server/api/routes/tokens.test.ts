import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  PERPETUAL_TERMS,
} from '../../../../test/helpers.js';

let fixture: Fixture;
let alice: LoggedIn;

beforeEach(async () => {
  fixture = await makePortal();
  alice = await loginAs(fixture, 'alice');
});
afterEach(async () => {
  await fixture.close();
});

async function makeToken(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await alice.agent
    .post('/api/v1/tokens')
    .set('X-CSRF-Token', alice.csrf)
    .send(body)
    .expect(201);
  return { id: response.body.token.id, secret: response.body.secret };
}

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

describe('API tokens', () => {
  it('shows the secret once and stores only its hash', async () => {
    const made = await alice.agent
      .post('/api/v1/tokens')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'CRM sync', role: 'issuer', expiresInDays: 30 })
      .expect(201);
    const { secret, token } = made.body;
    // The id part is the one id generator's (newId('tok')): lpt_<22 base64url>_<64 hex>.
    expect(secret).toMatch(/^lpt_[A-Za-z0-9_-]{22}_[0-9a-f]{64}$/);
    expect(token.id).toBe(`tok_${secret.slice(4, 26)}`);
    expect(token).toMatchObject({ name: 'CRM sync', role: 'issuer', createdBy: 'alice' });
    expect(token.expiresAt).toBe(fixture.clock.now + 30 * 86_400_000);
    const listed = await alice.agent.get('/api/v1/tokens').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(21));
    expect(listed.body.items[0]).not.toHaveProperty('secretHash');
    const stored = await fixture.issuer.store.automation.getApiToken(token.id);
    expect(stored!.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(21));
    const audit = await fixture.issuer.listAuditEvents({ action: 'token.create' });
    expect(audit[0]).toMatchObject({ actor: 'alice', subjectId: token.id });
  });

  it('lets an issuer token issue a key with no session and no CSRF token, logged under its name', async () => {
    const { id, secret } = await makeToken({ name: 'CRM sync', role: 'issuer' });
    const challenge = makeChallenge(fixture, newInstallation());
    const issued = await request(fixture.app)
      .post('/api/v1/challenges/issue')
      .set(bearer(secret))
      .send({ challenge, terms: PERPETUAL_TERMS })
      .expect(201);
    expect(issued.body.licenseKey).toMatch(/^ey/);
    const events = await fixture.issuer.listAuditEvents({ actor: 'token:CRM sync' });
    expect(events.map((e) => e.action)).toContain('license.issue');
    const listed = await alice.agent.get('/api/v1/tokens').expect(200);
    expect(listed.body.items.find((t: { id: string }) => t.id === id).lastUsedAt).toBe(
      fixture.clock.now,
    );
  });

  it('still takes a token made before the one id generator (a 16-hex-digit id)', async () => {
    const secret = 'cd'.repeat(32);
    await fixture.issuer.store.automation.insertApiToken({
      id: 'tok_0123456789abcdef',
      name: 'old CRM sync',
      role: 'issuer',
      secretHash: createHash('sha256').update(secret).digest('hex'),
      createdAt: fixture.clock.now,
      createdBy: 'alice',
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    const challenge = makeChallenge(fixture, newInstallation());
    await request(fixture.app)
      .post('/api/v1/challenges/issue')
      .set(bearer(`lpt_0123456789abcdef_${secret}`))
      .send({ challenge, terms: PERPETUAL_TERMS })
      .expect(201);
    // The same id with another secret is refused like any wrong secret.
    await request(fixture.app)
      .post('/api/v1/challenges/issue')
      .set(bearer(`lpt_0123456789abcdef_${'ab'.repeat(32)}`))
      .send({ challenge: makeChallenge(fixture, newInstallation()), terms: PERPETUAL_TERMS })
      .expect(401);
  });

  it('holds a token to its role: a viewer token reads but cannot revoke', async () => {
    const { secret } = await makeToken({ name: 'Support desk' });
    const ivan = await loginAs(fixture, 'ivan');
    const challenge = makeChallenge(fixture, newInstallation());
    const issued = await ivan.agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', ivan.csrf)
      .send({ challenge, terms: PERPETUAL_TERMS })
      .expect(201);
    const licenseId = issued.body.license.id as string;
    await request(fixture.app).get(`/api/v1/licenses/${licenseId}`).set(bearer(secret)).expect(200);
    const refused = await request(fixture.app)
      .post(`/api/v1/licenses/${licenseId}/revoke`)
      .set(bearer(secret))
      .send({})
      .expect(403);
    expect(refused.body.error.code).toBe('ERR_FORBIDDEN');
    expect((await fixture.issuer.store.getLicense(licenseId))!.state).toBe('active');
  });

  it('keeps tokens off what needs a logged-in person: tokens, users, passwords', async () => {
    const { secret } = await makeToken({ name: 'CI', role: 'issuer' });
    for (const [method, path, body] of [
      ['post', '/api/v1/tokens', { name: 'escalated', role: 'issuer' }],
      ['get', '/api/v1/users', undefined],
      ['post', '/api/v1/auth/password', { currentPassword: 'x', newPassword: 'y'.repeat(12) }],
    ] as const) {
      const call = request(fixture.app)[method](path).set(bearer(secret));
      const response = await (body === undefined ? call : call.send(body)).expect(403);
      expect(response.body.error.code).toBe('ERR_FORBIDDEN');
    }
    expect((await fixture.issuer.store.automation.listApiTokens()).map((t) => t.name)).toEqual([
      'CI',
    ]);
  });

  it('refuses a forged, unknown, malformed, expired or revoked token with one 401 body, changing nothing', async () => {
    const live = await makeToken({ name: 'live', role: 'issuer' });
    const expiring = await makeToken({ name: 'expiring', role: 'issuer', expiresInDays: 1 });
    const revoked = await makeToken({ name: 'revoked', role: 'issuer' });
    await alice.agent
      .post(`/api/v1/tokens/${revoked.id}/revoke`)
      .set('X-CSRF-Token', alice.csrf)
      .expect(200);
    fixture.advance(86_400_000);
    const forged = live.secret.slice(0, -1) + (live.secret.endsWith('0') ? '1' : '0');
    const bad = [
      forged,
      `lpt_0123456789abcdef_${'ab'.repeat(32)}`,
      'not-a-token',
      expiring.secret,
      revoked.secret,
    ];
    const bodies = [];
    for (const secret of bad) {
      const response = await request(fixture.app)
        .post('/api/v1/challenges/issue')
        .set(bearer(secret))
        .send({ challenge: makeChallenge(fixture, newInstallation()), terms: PERPETUAL_TERMS })
        .expect(401);
      const { requestId: _id, ...body } = response.body.error;
      bodies.push(body);
    }
    const basic = await request(fixture.app)
      .get('/api/v1/licenses')
      .set('Authorization', 'Basic YWxpY2U6cGFzc3dvcmQ=')
      .expect(401);
    bodies.push({ code: basic.body.error.code, message: basic.body.error.message });
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]!.code).toBe('ERR_TOKEN_INVALID');
    expect(await fixture.issuer.listLicenses()).toEqual([]);
    expect(await fixture.issuer.listAuditEvents({ action: 'license.issue' })).toEqual([]);
    // The live token still works after all that.
    await request(fixture.app).get('/api/v1/licenses').set(bearer(live.secret)).expect(200);
  });

  it('revokes at once, and only an admin manages tokens', async () => {
    const { id, secret } = await makeToken({ name: 'billing', role: 'viewer' });
    await request(fixture.app).get('/api/v1/licenses').set(bearer(secret)).expect(200);
    const ivan = await loginAs(fixture, 'ivan');
    await ivan.agent.get('/api/v1/tokens').expect(403);
    await ivan.agent.post(`/api/v1/tokens/${id}/revoke`).set('X-CSRF-Token', ivan.csrf).expect(403);
    await request(fixture.app).get('/api/v1/licenses').set(bearer(secret)).expect(200);
    const revoked = await alice.agent
      .post(`/api/v1/tokens/${id}/revoke`)
      .set('X-CSRF-Token', alice.csrf)
      .expect(200);
    expect(revoked.body).toMatchObject({ revokedBy: 'alice', revokedAt: fixture.clock.now });
    await request(fixture.app).get('/api/v1/licenses').set(bearer(secret)).expect(401);
    expect((await fixture.issuer.listAuditEvents({ action: 'token.revoke' })).length).toBe(1);
  });

  it('refuses a second token of the same name, and a token with the admin role', async () => {
    await makeToken({ name: 'CRM', role: 'issuer' });
    const taken = await alice.agent
      .post('/api/v1/tokens')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'crm', role: 'viewer' })
      .expect(409);
    expect(taken.body.error.code).toBe('ERR_TOKEN_EXISTS');
    const admin = await alice.agent
      .post('/api/v1/tokens')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'root', role: 'admin' })
      .expect(400);
    expect(admin.body.error.code).toBe('ERR_REQUEST_INVALID');
    expect((await fixture.issuer.store.automation.listApiTokens()).map((t) => t.name)).toEqual([
      'CRM',
    ]);
  });
});
