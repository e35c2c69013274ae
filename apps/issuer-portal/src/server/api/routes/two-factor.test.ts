import { generate } from 'otplib';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  type LoggedIn,
  loginAs,
  makePortal,
  PASSWORDS,
  send,
  sessionCookie,
  type TestUser,
} from '../../../../test/helpers.js';

let fixture: Fixture;
beforeEach(async () => {
  fixture = await makePortal();
});
afterEach(async () => {
  await fixture.close();
});

/** The TOTP code of `secret` at the fixture's clock, as the user's app shows it. */
function codeNow(secret: string, offsetMs = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor((fixture.clock.now + offsetMs) / 1000) });
}

async function userId(name: TestUser): Promise<string> {
  const user = (await fixture.issuer.users.list()).find((u) => u.name === name);
  return user!.id;
}

/** Enrols and confirms the user's 2FA; answers the secret, the recovery codes, a new session. */
async function enrol(name: TestUser) {
  const session = await loginAs(fixture, name);
  const begun = await send(session, 'post', '/api/v1/auth/2fa/enrol').expect(200);
  const secret = begun.body.secret as string;
  const confirmed = await send(session, 'post', '/api/v1/auth/2fa/confirm', {
    code: await codeNow(secret),
  }).expect(200);
  // The next code from the app is one step later.
  fixture.advance(30_000);
  const next: LoggedIn = {
    agent: session.agent,
    csrf: confirmed.body.session.csrfToken,
    cookie: sessionCookie(confirmed.headers['set-cookie']),
  };
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[], session: next };
}

function login(name: TestUser, code?: string) {
  return request(fixture.app)
    .post('/api/v1/auth/login')
    .send({ name, password: PASSWORDS[name], ...(code === undefined ? {} : { code }) });
}

describe('enrolment', () => {
  it('shows the secret as a QR code and an otpauth URI; nothing is in force until confirmed', async () => {
    const ivan = await loginAs(fixture, 'ivan');
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    expect(begun.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(begun.body.otpauthUri).toBe(
      `otpauth://totp/Licensor:ivan?secret=${begun.body.secret}&issuer=Licensor`,
    );
    expect(begun.body.qrCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    const status = await ivan.agent.get('/api/v1/auth/2fa').expect(200);
    expect(status.body).toMatchObject({ enabled: false, pending: true, secretsSealed: false });
    // A pending enrolment does not change the login.
    await login('ivan').expect(200);
  });

  it('refuses a wrong first code (counted as a failure) and stays pending', async () => {
    const ivan = await loginAs(fixture, 'ivan');
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    const right = await codeNow(begun.body.secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const refused = await send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code: wrong }).expect(
      401,
    );
    expect(refused.body.error.code).toBe('ERR_2FA_CODE_WRONG');
    expect(refused.headers['set-cookie']).toBeUndefined();
    const status = await ivan.agent.get('/api/v1/auth/2fa').expect(200);
    expect(status.body).toMatchObject({ enabled: false, pending: true });
    expect(await fixture.issuer.store.twoFactor.listRecoveryCodes(await userId('ivan'))).toEqual(
      [],
    );
    const audit = await fixture.issuer.store.listAuditEvents({ action: 'session.2fa-failed' });
    expect(audit).toHaveLength(1);
  });

  it('turns 2FA on with the first code, shows ten recovery codes once and starts a new session', async () => {
    const before = await loginAs(fixture, 'ivan');
    const { recoveryCodes, session } = await enrol('ivan');
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    expect(new Set(recoveryCodes).size).toBe(10);
    const status = await session.agent.get('/api/v1/auth/2fa').expect(200);
    expect(status.body).toMatchObject({ enabled: true, pending: false, recoveryCodesLeft: 10 });
    // Only hashes are kept.
    const stored = await fixture.issuer.store.twoFactor.listRecoveryCodes(await userId('ivan'));
    expect(stored.map((c) => c.hash)).not.toContain(recoveryCodes[0]);
    // Another session of ivan's made before still works (only the enrolling one is renewed).
    await request(fixture.app).get('/api/v1/auth/session').set('Cookie', before.cookie).expect(200);
    // Enrolling again while it is on is refused, the secret unchanged.
    const record = await fixture.issuer.store.twoFactor.getTwoFactor(await userId('ivan'));
    const again = await send(session, 'post', '/api/v1/auth/2fa/enrol').expect(409);
    expect(again.body.error.code).toBe('ERR_2FA_ALREADY_ENABLED');
    expect(await fixture.issuer.store.twoFactor.getTwoFactor(await userId('ivan'))).toEqual(record);
  });

  it('refuses to confirm without an enrolment', async () => {
    const ivan = await loginAs(fixture, 'ivan');
    const refused = await send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code: '123456' }).expect(
      409,
    );
    expect(refused.body.error.code).toBe('ERR_2FA_NOT_ENROLLING');
    expect(await fixture.issuer.store.twoFactor.getTwoFactor(await userId('ivan'))).toBeNull();
  });
});

describe('login with a second factor', () => {
  it('asks for the code after a right password, and logs in with it', async () => {
    const { secret } = await enrol('ivan');
    const asked = await login('ivan').expect(401);
    expect(asked.body.error.code).toBe('ERR_2FA_REQUIRED');
    expect(asked.headers['set-cookie']).toBeUndefined();
    const done = await login('ivan', await codeNow(secret)).expect(200);
    expect(done.body.user.name).toBe('ivan');
    const [event] = await fixture.issuer.store.listAuditEvents({ action: 'session.login' });
    expect(event?.details).toMatchObject({ secondFactor: 'totp' });
  });

  it('a wrong password with any code is still ERR_LOGIN_FAILED', async () => {
    const { secret } = await enrol('ivan');
    const refused = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: 'not-the-password', code: await codeNow(secret) })
      .expect(401);
    expect(refused.body.error.code).toBe('ERR_LOGIN_FAILED');
  });

  it('refuses a replayed code within its window, and takes the next one', async () => {
    const { secret } = await enrol('ivan');
    const code = await codeNow(secret);
    await login('ivan', code).expect(200);
    fixture.advance(10_000);
    const replay = await login('ivan', code).expect(401);
    expect(replay.body.error.code).toBe('ERR_2FA_CODE_USED');
    expect(replay.headers['set-cookie']).toBeUndefined();
    // A code of the step before the one used is refused too.
    const older = await login('ivan', await codeNow(secret, -30_000)).expect(401);
    expect(older.body.error.code).toBe('ERR_2FA_CODE_USED');
    fixture.advance(30_000);
    await login('ivan', await codeNow(secret)).expect(200);
  });

  it('accepts a code one step off (a phone clock 30 s out) but not two', async () => {
    const { secret } = await enrol('ivan');
    const far = await login('ivan', await codeNow(secret, 65_000)).expect(401);
    expect(far.body.error.code).toBe('ERR_2FA_CODE_WRONG');
    await login('ivan', await codeNow(secret, 30_000)).expect(200);
  });

  it('counts wrong codes toward the login limit: 429 after the limit, the right code included', async () => {
    await fixture.close();
    fixture = await makePortal({ loginRateLimit: { windowMs: 60_000, limit: 3 } });
    const { secret } = await enrol('ivan');
    const right = await codeNow(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) {
      const refused = await login('ivan', wrong).expect(401);
      expect(refused.body.error.code).toBe('ERR_2FA_CODE_WRONG');
    }
    const blocked = await login('ivan', right).expect(429);
    expect(blocked.body.error.code).toBe('ERR_RATE_LIMITED');
    expect(blocked.headers['set-cookie']).toBeUndefined();
    expect(
      await fixture.issuer.store.listAuditEvents({ action: 'session.2fa-failed' }),
    ).toHaveLength(3);
    // Once the window has passed, the right code logs in.
    fixture.advance(61_000);
    await login('ivan', await codeNow(secret)).expect(200);
  });

  it('takes each recovery code once, in any case and with or without dashes', async () => {
    const { recoveryCodes, session } = await enrol('ivan');
    const first = recoveryCodes[0]!;
    await login('ivan', first.toUpperCase().replace(/-/g, ' ')).expect(200);
    const again = await login('ivan', first).expect(401);
    expect(again.body.error.code).toBe('ERR_2FA_CODE_USED');
    const made = await login('ivan', 'aaaa-bbbb-cccc-dddd').expect(401);
    expect(made.body.error.code).toBe('ERR_2FA_CODE_WRONG');
    const status = await session.agent.get('/api/v1/auth/2fa').expect(200);
    expect(status.body.recoveryCodesLeft).toBe(9);
  });

  it('new recovery codes (with a code) replace the old ones', async () => {
    const { secret, recoveryCodes, session } = await enrol('ivan');
    const answer = await send(session, 'post', '/api/v1/auth/2fa/recovery-codes', {
      code: await codeNow(secret),
    }).expect(200);
    expect(answer.body.recoveryCodes).toHaveLength(10);
    const old = await login('ivan', recoveryCodes[1]!).expect(401);
    expect(old.body.error.code).toBe('ERR_2FA_CODE_WRONG');
    await login('ivan', answer.body.recoveryCodes[0]).expect(200);
  });
});

describe('turning it off', () => {
  it('needs a right code; a wrong one leaves 2FA on', async () => {
    const { secret, session } = await enrol('ivan');
    const right = await codeNow(secret);
    const refused = await send(session, 'post', '/api/v1/auth/2fa/disable', {
      code: right === '000000' ? '111111' : '000000',
    }).expect(401);
    expect(refused.body.error.code).toBe('ERR_2FA_CODE_WRONG');
    expect((await session.agent.get('/api/v1/auth/2fa').expect(200)).body.enabled).toBe(true);
    await login('ivan').expect(401);

    await send(session, 'post', '/api/v1/auth/2fa/disable', { code: right }).expect(200);
    expect((await session.agent.get('/api/v1/auth/2fa').expect(200)).body.enabled).toBe(false);
    await login('ivan').expect(200);
    expect(await fixture.issuer.store.listAuditEvents({ action: '2fa.disable' })).toHaveLength(1);
  });

  it('an admin resets a user who lost the device; their sessions end', async () => {
    const { session } = await enrol('ivan');
    const alice = await loginAs(fixture, 'alice');
    const byIssuer = await send(session, 'post', '/api/v1/users/ivan/2fa/reset').expect(403);
    expect(byIssuer.body.error.code).toBe('ERR_FORBIDDEN');
    // The name in any case, as PATCH /users/:name takes it.
    await send(alice, 'post', '/api/v1/users/IVAN/2fa/reset').expect(200);
    await session.agent.get('/api/v1/auth/session').expect(401);
    await login('ivan').expect(200);
    const again = await send(alice, 'post', '/api/v1/users/ivan/2fa/reset').expect(409);
    expect(again.body.error.code).toBe('ERR_2FA_NOT_ENABLED');
    const [event] = await fixture.issuer.store.listAuditEvents({ action: '2fa.reset' });
    expect(event).toMatchObject({ actor: 'alice', details: { name: 'ivan' } });
  });
});

describe('the policy', () => {
  it('an admin without 2FA cannot require it (no lock-out); the policy is unchanged', async () => {
    const alice = await loginAs(fixture, 'alice');
    const refused = await send(alice, 'put', '/api/v1/auth/2fa/policy', {
      policy: 'everyone',
    }).expect(409);
    expect(refused.body.error.code).toBe('ERR_2FA_NOT_ENABLED');
    expect(await fixture.issuer.store.twoFactor.getTwoFactorPolicy()).toBeNull();
  });

  it('"everyone": users without 2FA are logged out and sent to enrol, then let in', async () => {
    const ivanBefore = await loginAs(fixture, 'ivan');
    const { session: alice } = await enrol('alice');
    const set = await send(alice, 'put', '/api/v1/auth/2fa/policy', { policy: 'everyone' }).expect(
      200,
    );
    expect(set.body).toEqual({ policy: 'everyone', usersLoggedOut: 2 });
    await ivanBefore.agent.get('/api/v1/licenses').expect(401);

    const ivan = await loginAs(fixture, 'ivan');
    const held = await ivan.agent.get('/api/v1/licenses').expect(403);
    expect(held.body.error.code).toBe('ERR_2FA_ENROLMENT_REQUIRED');
    const info = await ivan.agent.get('/api/v1/auth/session').expect(200);
    expect(info.body.twoFactorEnrolmentRequired).toBe(true);
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    const confirmed = await send(ivan, 'post', '/api/v1/auth/2fa/confirm', {
      code: await codeNow(begun.body.secret),
    }).expect(200);
    expect(confirmed.body.session.twoFactorEnrolmentRequired).toBeUndefined();
    await ivan.agent.get('/api/v1/licenses').expect(200);

    // Required of him: he cannot turn it off.
    fixture.advance(30_000);
    const off = await ivan.agent
      .post('/api/v1/auth/2fa/disable')
      .set('X-CSRF-Token', confirmed.body.session.csrfToken)
      .send({ code: await codeNow(begun.body.secret) })
      .expect(409);
    expect(off.body.error.code).toBe('ERR_2FA_REQUIRED_BY_POLICY');
    const [event] = await fixture.issuer.store.listAuditEvents({ action: '2fa.policy' });
    expect(event).toMatchObject({ actor: 'alice', details: { from: 'optional', to: 'everyone' } });
  });

  it('"admins" holds admins only', async () => {
    const { session: alice } = await enrol('alice');
    await send(alice, 'put', '/api/v1/auth/2fa/policy', { policy: 'admins' }).expect(200);
    const vera = await loginAs(fixture, 'vera');
    await vera.agent.get('/api/v1/licenses').expect(200);
  });
});

describe('secrets at rest', () => {
  it('with a key the TOTP secret is sealed; a portal without the key answers 503 ERR_2FA_KEY_REQUIRED', async () => {
    await fixture.close();
    fixture = await makePortal({ twoFactor: { key: 'a 2fa key for the tests' } });
    const { secret, session } = await enrol('ivan');
    const record = await fixture.issuer.store.twoFactor.getTwoFactor(await userId('ivan'));
    expect(record?.secret.protection).toBe('sealed');
    expect(JSON.stringify(record)).not.toContain(secret);
    expect((await session.agent.get('/api/v1/auth/2fa').expect(200)).body.secretsSealed).toBe(true);
    await login('ivan', await codeNow(secret)).expect(200);

    const { createPortalApp } = await import('../../app.js');
    const { pino } = await import('pino');
    const keyless = createPortalApp({
      issuer: fixture.issuer,
      now: () => fixture.clock.now,
      logger: pino({ level: 'silent' }),
      webRoot: null,
    });
    fixture.advance(30_000);
    const refused = await request(keyless.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: PASSWORDS.ivan, code: await codeNow(secret) })
      .expect(503);
    expect(refused.body.error.code).toBe('ERR_2FA_KEY_REQUIRED');
  });
});
