// Single sign-on against a real OpenID provider (oidc-provider on 127.0.0.1): the whole code
// flow over HTTP, users provisioned and matched, roles from groups, and each refusal (a wrong
// state, a wrong nonce, no mapped group, a disabled user, password login turned off) with
// nothing written: no user, no link, no session.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Fixture, makePortal, PASSWORDS } from '../../../test/helpers.js';
import { signIn, startIdp, type TestIdp } from '../../../test/oidc-idp.js';
import type { PortalDeps } from '../app.js';
import { parseRoleMap, roleOfGroups, ssoOptionsFromEnv } from './sso.js';

const ROLE_MAP = { 'licensor-admins': 'admin', support: 'issuer', staff: 'viewer' } as const;

let fixture: Fixture;
let server: Server;
let idp: TestIdp;
let portalUrl: string;

/** The portal's SSO settings for the test provider. */
function ssoOptions() {
  return {
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    redirectUrl: `${portalUrl}/api/v1/auth/oidc/callback`,
    roleMap: ROLE_MAP,
  };
}

/** A portal listening on an OS-chosen port, with SSO against a fresh provider. */
async function setUp(overrides: Partial<PortalDeps> = {}) {
  // The callback URL names the portal's port, so the port is taken first.
  server = await new Promise<Server>((resolve) => {
    const listening = createServer();
    listening.listen(0, '127.0.0.1', () => resolve(listening));
  });
  portalUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp = await startIdp(`${portalUrl}/api/v1/auth/oidc/callback`);
  idp.accounts.set('dana', { email: 'dana@example.com', groups: ['staff', 'licensor-admins'] });
  idp.accounts.set('sam', { email: 'sam@example.com', groups: ['support'] });
  idp.accounts.set('olga', { email: 'olga@example.com', groups: ['marketing'] });
  fixture = await makePortal({ sso: { ...ssoOptions(), name: 'Example IdP' }, ...overrides });
  server.on('request', fixture.app);
}

beforeEach(async () => {
  await setUp();
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await idp.close();
  await fixture.close();
});

/** Sends the browser back to the portal's callback with its SSO cookie. */
function callback(url: URL, cookie: string) {
  return request(fixture.app)
    .get(url.pathname + url.search)
    .set('Cookie', cookie);
}

function sessionCookieOf(response: request.Response): string | undefined {
  const all = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return all.find((c) => c.startsWith('licensor_portal_sid='))?.split(';')[0];
}

async function snapshot() {
  const users = await fixture.issuer.users.list();
  const logins = await fixture.issuer.store.listAuditEvents({ action: 'session.login' });
  return { users, logins: logins.length };
}

describe('single sign-on over HTTP', () => {
  it('signs a new user in with code + PKCE + state + nonce; the highest mapped group is the role', async () => {
    const { portalCookie, callbackUrl } = await signIn(portalUrl, 'dana');
    const answer = await callback(callbackUrl, portalCookie).expect(200);
    expect(answer.text).toContain('<meta http-equiv="refresh" content="0;url=/">');
    const cookie = sessionCookieOf(answer);
    expect(cookie).toBeDefined();
    const session = await request(fixture.app)
      .get('/api/v1/auth/session')
      .set('Cookie', cookie!)
      .expect(200);
    expect(session.body.user).toMatchObject({ name: 'dana@example.com', role: 'admin' });
    // The client secret went to the token endpoint with HTTP Basic, as the provider requires.
    expect(idp.tokenRequests).toEqual(['Basic']);
    const [login] = await fixture.issuer.store.listAuditEvents({ action: 'session.login' });
    expect(login).toMatchObject({
      actor: 'dana@example.com',
      details: { method: 'sso', issuer: idp.issuer, subject: 'dana' },
    });
    // The authorization request carried PKCE (S256), state and nonce.
    const started = await fetch(`${portalUrl}/api/v1/auth/oidc/start`, { redirect: 'manual' });
    const authorization = new URL(started.headers.get('location')!);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get('state')).toBeTruthy();
    expect(authorization.searchParams.get('nonce')).toBeTruthy();
    expect(started.headers.getSetCookie()[0]).toMatch(/HttpOnly; SameSite=Lax/i);
  });

  it('the same subject is the same user; its role follows its groups at every login', async () => {
    await callback(...(await signed('sam'))).expect(200);
    const before = await fixture.issuer.users.list();
    expect(before.find((u) => u.name === 'sam@example.com')?.role).toBe('issuer');
    idp.accounts.set('sam', { email: 'sam@example.com', groups: ['staff'] });
    await callback(...(await signed('sam'))).expect(200);
    const after = await fixture.issuer.users.list();
    expect(after).toHaveLength(before.length);
    expect(after.find((u) => u.name === 'sam@example.com')?.role).toBe('viewer');
  });

  it('links an existing portal user by verified e-mail at the first login', async () => {
    const carol = await fixture.issuer.users.add(
      'carol@example.com',
      'viewer',
      'carol-password-1234',
      'test',
    );
    idp.accounts.set('carol-at-idp', { email: 'carol@example.com', groups: ['support'] });
    const answer = await callback(...(await signed('carol-at-idp'))).expect(200);
    const session = await request(fixture.app)
      .get('/api/v1/auth/session')
      .set('Cookie', sessionCookieOf(answer)!)
      .expect(200);
    expect(session.body.user).toMatchObject({ id: carol.id, role: 'issuer' });
    expect(await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'carol-at-idp')).toMatchObject(
      { userId: carol.id },
    );
  });

  it('an unverified e-mail never takes over an existing user: a new user is made', async () => {
    const ivan = (await fixture.issuer.users.list()).find((u) => u.name === 'ivan')!;
    await fixture.issuer.users.add('mallory@example.com', 'admin', 'mallory-pass-1234', 'test');
    idp.accounts.set('mallory', {
      email: 'mallory@example.com',
      groups: ['staff'],
      emailVerified: false,
    });
    await callback(...(await signed('mallory'))).expect(200);
    const link = await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'mallory');
    const users = await fixture.issuer.users.list();
    const linked = users.find((u) => u.id === link?.userId);
    expect(linked?.name).toBe('mallory');
    expect(linked?.role).toBe('viewer');
    expect(users.find((u) => u.name === 'mallory@example.com')?.role).toBe('admin');
    expect(linked?.id).not.toBe(ivan.id);
  });
});

/** A finished provider login, as the arguments of `callback`. */
async function signed(account: string): Promise<[URL, string]> {
  const { portalCookie, callbackUrl } = await signIn(portalUrl, account);
  return [callbackUrl, portalCookie];
}

describe('refusals leave nothing behind', () => {
  it('no mapped group: 403 ERR_SSO_NO_ROLE page, audited, no user, no session', async () => {
    const before = await snapshot();
    const answer = await callback(...(await signed('olga'))).expect(403);
    expect(answer.type).toBe('text/html');
    expect(answer.text).toContain('ERR_SSO_NO_ROLE');
    expect(answer.text).toContain('no group that has a role in Licensor');
    expect(sessionCookieOf(answer)).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    expect(await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'olga')).toBeNull();
    const [refused] = await fixture.issuer.store.listAuditEvents({
      action: 'session.sso-refused',
    });
    expect(refused).toMatchObject({
      actor: 'olga@example.com',
      details: { reason: 'ERR_SSO_NO_ROLE', subject: 'olga', groups: ['marketing'] },
    });
  });

  it('groups named like Object.prototype members (constructor, toString, __proto__) map to no role', async () => {
    idp.accounts.set('mallory', {
      email: 'mallory@example.com',
      groups: ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'],
    });
    const before = await snapshot();
    const answer = await callback(...(await signed('mallory'))).expect(403);
    expect(answer.text).toContain('ERR_SSO_NO_ROLE');
    expect(sessionCookieOf(answer)).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    expect(await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'mallory')).toBeNull();
  });

  it('a state that is not the one the login began with: 400 ERR_SSO_STATE_INVALID', async () => {
    const before = await snapshot();
    const [url, cookie] = await signed('dana');
    const forged = new URL(url);
    forged.searchParams.set('state', 'a-state-an-attacker-chose');
    const answer = await callback(forged, cookie).expect(400);
    expect(answer.text).toContain('ERR_SSO_STATE_INVALID');
    expect(sessionCookieOf(answer)).toBeUndefined();
    // The login in flight is spent: the genuine callback does not work after it either.
    const after = await callback(url, cookie).expect(400);
    expect(after.text).toContain('ERR_SSO_STATE_INVALID');
    expect(await snapshot()).toEqual(before);
    expect(await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'dana')).toBeNull();
  });

  it('a callback without the browser’s login cookie (another browser) is refused', async () => {
    const before = await snapshot();
    const [url] = await signed('dana');
    const answer = await request(fixture.app)
      .get(url.pathname + url.search)
      .expect(400);
    expect(answer.text).toContain('ERR_SSO_STATE_INVALID');
    expect(await snapshot()).toEqual(before);
  });

  it('a used callback cannot be replayed', async () => {
    const [url, cookie] = await signed('sam');
    await callback(url, cookie).expect(200);
    const before = await snapshot();
    const replay = await callback(url, cookie).expect(400);
    expect(replay.text).toContain('ERR_SSO_STATE_INVALID');
    expect(await snapshot()).toEqual(before);
  });

  it('an ID token for another nonce: 401 ERR_SSO_NONCE_INVALID', async () => {
    const before = await snapshot();
    const { portalCookie, callbackUrl } = await signIn(portalUrl, 'dana', (url) => {
      const edited = new URL(url);
      edited.searchParams.set('nonce', 'a-nonce-from-another-login');
      return edited;
    });
    const answer = await callback(callbackUrl, portalCookie).expect(401);
    expect(answer.text).toContain('ERR_SSO_NONCE_INVALID');
    expect(sessionCookieOf(answer)).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    expect(await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'dana')).toBeNull();
  });

  it('a portal user disabled by an admin is refused, though the provider signs them in', async () => {
    await callback(...(await signed('sam'))).expect(200);
    await fixture.issuer.users.disable('sam@example.com', 'alice');
    const before = await snapshot();
    const answer = await callback(...(await signed('sam'))).expect(403);
    expect(answer.text).toContain('ERR_SSO_USER_DISABLED');
    expect(sessionCookieOf(answer)).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('the provider’s UserInfo failing: 502 ERR_SSO_FAILED page, audited, no user, no session', async () => {
    const before = await snapshot();
    const [url, cookie] = await signed('dana');
    idp.userInfoDown = true;
    const answer = await callback(url, cookie).expect(502);
    expect(answer.type).toBe('text/html');
    expect(answer.text).toContain('ERR_SSO_FAILED');
    expect(sessionCookieOf(answer)).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    expect(await fixture.issuer.store.sso.getSsoIdentity(idp.issuer, 'dana')).toBeNull();
    const refused = await fixture.issuer.store.listAuditEvents({ action: 'session.sso-refused' });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ details: { reason: 'ERR_SSO_FAILED' } });
  });

  it('the provider refusing (error=access_denied) is 401 ERR_SSO_DENIED', async () => {
    const started = await fetch(`${portalUrl}/api/v1/auth/oidc/start`, { redirect: 'manual' });
    const cookie = started.headers.getSetCookie()[0]!.split(';')[0]!;
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const answer = await request(fixture.app)
      .get(`/api/v1/auth/oidc/callback?error=access_denied&state=${state}`)
      .set('Cookie', cookie)
      .expect(401);
    expect(answer.text).toContain('ERR_SSO_DENIED');
  });
});

describe('starting logins', () => {
  it('refuses more starts from one address than the limit with 429 and Retry-After, writing no row', async () => {
    await fixture.close();
    fixture = await makePortal({
      sso: { ...ssoOptions(), startLimit: { limit: 3, windowMs: 60_000 } },
    });
    const put = vi.spyOn(fixture.issuer.store.sso, 'putSsoLogin');
    for (let i = 0; i < 3; i++) {
      await request(fixture.app).get('/api/v1/auth/oidc/start').expect(303);
    }
    expect(put).toHaveBeenCalledTimes(3);
    const refused = await request(fixture.app).get('/api/v1/auth/oidc/start').expect(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(refused.text).toContain('ERR_RATE_LIMITED');
    expect(put).toHaveBeenCalledTimes(3);
  });
});

describe('password login turned off', () => {
  it('refuses a right password with 403 ERR_PASSWORD_LOGIN_DISABLED, counting and writing nothing', async () => {
    await fixture.close();
    server.removeAllListeners('request');
    fixture = await makePortal({ passwordLogin: false, sso: ssoOptions() });
    server.on('request', fixture.app);
    const before = await snapshot();
    const refused = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'alice', password: PASSWORDS.alice })
      .expect(403);
    expect(refused.body.error.code).toBe('ERR_PASSWORD_LOGIN_DISABLED');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    const methods = await request(fixture.app).get('/api/v1/auth/methods').expect(200);
    expect(methods.body).toEqual({
      password: false,
      sso: { name: 'single sign-on', startUrl: '/api/v1/auth/oidc/start' },
    });
    // SSO still signs in.
    await callback(...(await signed('dana'))).expect(200);
  });

  it('without SSO set up, /auth/oidc/start is a 404 page', async () => {
    await fixture.close();
    fixture = await makePortal();
    const answer = await request(fixture.app).get('/api/v1/auth/oidc/start').expect(404);
    expect(answer.text).toContain('ERR_SSO_NOT_CONFIGURED');
    const methods = await request(fixture.app).get('/api/v1/auth/methods').expect(200);
    expect(methods.body).toEqual({ password: true, sso: null });
  });
});

describe('configuration', () => {
  const env = {
    LICENSOR_OIDC_ISSUER: 'https://idp.example.com/',
    LICENSOR_OIDC_CLIENT_ID: 'licensor',
    LICENSOR_OIDC_CLIENT_SECRET: 'secret',
    LICENSOR_OIDC_REDIRECT_URL: 'https://portal.example.com/api/v1/auth/oidc/callback',
    LICENSOR_OIDC_ROLE_MAP: 'licensor-admins=admin, support=issuer,staff=viewer',
  };

  it('reads the environment', () => {
    expect(ssoOptionsFromEnv({ ...env, LICENSOR_OIDC_GROUPS_CLAIM: 'roles' })).toEqual({
      issuerUrl: 'https://idp.example.com/',
      clientId: 'licensor',
      clientSecret: 'secret',
      redirectUrl: 'https://portal.example.com/api/v1/auth/oidc/callback',
      roleMap: ROLE_MAP,
      groupsClaim: 'roles',
    });
    expect(ssoOptionsFromEnv({})).toBeUndefined();
  });

  it('refuses a missing secret, a bad role, plain http off loopback', () => {
    expect(() => ssoOptionsFromEnv({ ...env, LICENSOR_OIDC_CLIENT_SECRET: '' })).toThrow(
      /LICENSOR_OIDC_CLIENT_SECRET must be set/,
    );
    expect(() => parseRoleMap('ops=root')).toThrow(/not GROUP=ROLE/);
    expect(() =>
      ssoOptionsFromEnv({ ...env, LICENSOR_OIDC_ISSUER: 'http://idp.example.com/' }),
    ).toThrow(/must be https/);
  });

  it('the highest mapped group wins; unmapped groups give nothing', () => {
    expect(roleOfGroups(['staff', 'support'], ROLE_MAP)).toBe('issuer');
    expect(roleOfGroups(['marketing'], ROLE_MAP)).toBeNull();
  });

  it('reads only the groups the map names, never what every object inherits', () => {
    expect(roleOfGroups(['toString', 'admins'], { admins: 'admin' })).toBe('admin');
    expect(roleOfGroups(['constructor'], { admins: 'admin' })).toBeNull();
    expect(roleOfGroups(['__proto__', 'hasOwnProperty', 'valueOf'], ROLE_MAP)).toBeNull();
    expect(roleOfGroups(['staff', 'toString'], ROLE_MAP)).toBe('viewer');
  });

  it('maps a group whatever it is called, __proto__ included', () => {
    const map = parseRoleMap('__proto__=admin,toString=viewer');
    expect(roleOfGroups(['__proto__'], map)).toBe('admin');
    expect(roleOfGroups(['toString'], map)).toBe('viewer');
    expect(roleOfGroups(['constructor'], map)).toBeNull();
  });
});
