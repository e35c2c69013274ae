import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  loginAs,
  makePortal,
  PASSWORDS,
  sessionCookie,
} from '../../../../test/helpers.js';

let fixture: Fixture;
beforeEach(async () => {
  fixture = await makePortal();
});
afterEach(async () => {
  await fixture.close();
});

describe('login', () => {
  it('answers the user, role and a CSRF token, and sets an HTTP-only SameSite=Strict cookie', async () => {
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(200);
    expect(response.body.user).toMatchObject({ name: 'ivan', role: 'issuer' });
    expect(response.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^licensor_portal_sid=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
  });

  it('uses a Secure __Host- cookie when TLS ends at a trusted proxy', async () => {
    await fixture.close();
    fixture = await makePortal({ trustProxy: 1 });
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-Proto', 'https')
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-licensor_portal_sid=/);
    expect(cookie).toContain('Secure');
  });

  it('refuses a wrong password with ERR_LOGIN_FAILED and the same answer as an unknown user', async () => {
    const wrong = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: 'not-the-password' })
      .expect(401);
    const unknown = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'nobody', password: 'whatever-password' })
      .expect(401);
    expect(wrong.body.error.code).toBe('ERR_LOGIN_FAILED');
    expect(unknown.body.error.code).toBe('ERR_LOGIN_FAILED');
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a disabled user', async () => {
    await fixture.issuer.users.disable('vera', 'test');
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'vera', password: PASSWORDS.vera })
      .expect(401);
    expect(response.body.error.code).toBe('ERR_LOGIN_FAILED');
  });

  it('rate limits failed logins per account and address with ERR_RATE_LIMITED', async () => {
    await fixture.close();
    fixture = await makePortal({ loginRateLimit: { windowMs: 60_000, limit: 3 } });
    for (let i = 0; i < 3; i++) {
      await request(fixture.app)
        .post('/api/v1/auth/login')
        .send({ name: 'ivan', password: `wrong-${i}` })
        .expect(401);
    }
    const blocked = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(429);
    expect(blocked.body.error.code).toBe('ERR_RATE_LIMITED');
    expect(blocked.body.error.requestId).toEqual(expect.any(String));
  });

  it('rejects a login posted as a form (cross-site forms cannot send JSON)', async () => {
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .type('form')
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(415);
    expect(response.body.error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('records logins and failed logins in the audit log', async () => {
    await loginAs(fixture, 'ivan');
    await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: 'nope-nope' });
    const events = await fixture.issuer.listAuditEvents({ actor: 'ivan' });
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['session.login', 'session.login-failed']),
    );
  });
});

describe('session fixation', () => {
  it('never adopts a session id planted in the browser before login', async () => {
    const planted = 'licensor_portal_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Cookie', planted)
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(200);
    const issued = sessionCookie(response.headers['set-cookie']);
    expect(issued).not.toBe(planted);
    await request(fixture.app).get('/api/v1/auth/session').set('Cookie', planted).expect(401);
    await request(fixture.app).get('/api/v1/auth/session').set('Cookie', issued).expect(200);
  });

  it('replaces another user’s session id at login, and the old id stops working', async () => {
    const victim = await loginAs(fixture, 'vera');
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Cookie', victim.cookie)
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(200);
    const renewed = sessionCookie(response.headers['set-cookie']);
    expect(renewed).not.toBe(victim.cookie);
    const old = await request(fixture.app)
      .get('/api/v1/auth/session')
      .set('Cookie', victim.cookie)
      .expect(401);
    expect(old.body.error.code).toBe('ERR_UNAUTHENTICATED');
    const current = await request(fixture.app)
      .get('/api/v1/auth/session')
      .set('Cookie', renewed)
      .expect(200);
    expect(current.body.user.name).toBe('ivan');
  });
});

describe('timeouts and logout', () => {
  it('ends a session after 30 minutes without a request (ERR_SESSION_EXPIRED)', async () => {
    const session = await loginAs(fixture, 'vera');
    fixture.advance(29 * 60_000);
    await session.agent.get('/api/v1/licenses').expect(200);
    fixture.advance(29 * 60_000);
    await session.agent.get('/api/v1/licenses').expect(200);
    fixture.advance(30 * 60_000);
    const expired = await session.agent.get('/api/v1/licenses').expect(401);
    expect(expired.body.error.code).toBe('ERR_SESSION_EXPIRED');
    await session.agent.get('/api/v1/licenses').expect(401);
  });

  it('ends a session 12 hours after login however active it is', async () => {
    const session = await loginAs(fixture, 'vera');
    for (let hour = 0; hour < 12 * 3 - 1; hour++) {
      fixture.advance(20 * 60_000);
      await session.agent.get('/api/v1/auth/session').expect(200);
    }
    fixture.advance(20 * 60_000);
    const expired = await session.agent.get('/api/v1/auth/session').expect(401);
    expect(expired.body.error.code).toBe('ERR_SESSION_EXPIRED');
  });

  it('logs out: the cookie is cleared and the session id no longer works', async () => {
    const session = await loginAs(fixture, 'vera');
    const response = await session.agent
      .post('/api/v1/auth/logout')
      .set('X-CSRF-Token', session.csrf)
      .expect(200);
    expect(String(response.headers['set-cookie'])).toMatch(/licensor_portal_sid=;/);
    await request(fixture.app)
      .get('/api/v1/auth/session')
      .set('Cookie', session.cookie)
      .expect(401);
  });

  it('refuses a logout without the CSRF token (a cross-site page cannot log users out)', async () => {
    const session = await loginAs(fixture, 'vera');
    const response = await session.agent.post('/api/v1/auth/logout').expect(403);
    expect(response.body.error.code).toBe('ERR_CSRF_INVALID');
    await session.agent.get('/api/v1/auth/session').expect(200);
  });
});

describe('changing your own password', () => {
  const NEW_PASSWORD = 'a brand new passphrase';
  const change = (session: Awaited<ReturnType<typeof loginAs>>, body: object) =>
    session.agent.post('/api/v1/auth/password').set('X-CSRF-Token', session.csrf).send(body);
  const canLogIn = async (password: string) =>
    (await request(fixture.app).post('/api/v1/auth/login').send({ name: 'vera', password }))
      .status === 200;

  it('needs the current password; ends the other sessions and starts a new one', async () => {
    const here = await loginAs(fixture, 'vera');
    const elsewhere = await loginAs(fixture, 'vera');
    const response = await change(here, {
      currentPassword: PASSWORDS.vera,
      newPassword: NEW_PASSWORD,
    }).expect(200);
    expect(response.body.user).toMatchObject({ name: 'vera', role: 'viewer' });
    expect(response.body.csrfToken).not.toBe(here.csrf);
    expect(sessionCookie(response.headers['set-cookie'])).not.toBe(here.cookie);
    // This browser carries on with the new session; the other one is logged out.
    await here.agent.get('/api/v1/auth/session').expect(200);
    await elsewhere.agent.get('/api/v1/auth/session').expect(401);
    expect(await canLogIn(PASSWORDS.vera)).toBe(false);
    expect(await canLogIn(NEW_PASSWORD)).toBe(true);
    const events = await fixture.issuer.listAuditEvents({ actor: 'vera' });
    expect(events.map((e) => e.action)).toContain('user.password');
  });

  it('refuses a wrong current password with 403 ERR_PASSWORD_WRONG and changes nothing', async () => {
    const here = await loginAs(fixture, 'vera');
    const response = await change(here, {
      currentPassword: 'not-my-password',
      newPassword: NEW_PASSWORD,
    }).expect(403);
    expect(response.body.error.code).toBe('ERR_PASSWORD_WRONG');
    await here.agent.get('/api/v1/auth/session').expect(200);
    expect(await canLogIn(PASSWORDS.vera)).toBe(true);
  });

  it('refuses a short new password, a missing CSRF token and a caller without a session', async () => {
    const here = await loginAs(fixture, 'vera');
    const short = await change(here, { currentPassword: PASSWORDS.vera, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('ERR_REQUEST_INVALID');
    const noCsrf = await here.agent
      .post('/api/v1/auth/password')
      .send({ currentPassword: PASSWORDS.vera, newPassword: NEW_PASSWORD })
      .expect(403);
    expect(noCsrf.body.error.code).toBe('ERR_CSRF_INVALID');
    await request(fixture.app)
      .post('/api/v1/auth/password')
      .send({ currentPassword: PASSWORDS.vera, newPassword: NEW_PASSWORD })
      .expect(401);
    expect(await canLogIn(PASSWORDS.vera)).toBe(true);
  });
});
