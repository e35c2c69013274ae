// The login limit keys on the client address together with the account it tries, counts
// failures only, and never lets someone else's failures block a correct password from a client
// that has not failed itself (#16.9; the limiter is auth/login-limit.ts, counted in the store).
import { generate } from 'otplib';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Fixture,
  loginAs,
  makePortal,
  PASSWORDS,
  send,
  sessionCookie,
} from '../../../../test/helpers.js';
import { createPortalApp } from '../../app.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await fixture?.close();
  fixture = undefined;
});

async function portal(limit = 3, accountLimit = 5): Promise<Fixture> {
  fixture = await makePortal({
    trustProxy: true,
    loginRateLimit: { windowMs: 60_000, limit, accountLimit },
  });
  return fixture;
}

function login(
  f: Fixture,
  from: string,
  name: string,
  password: string,
  agent: ReturnType<typeof request.agent> | null = null,
) {
  return (agent ?? request(f.app))
    .post('/api/v1/auth/login')
    .set('X-Forwarded-For', from)
    .send({ name, password });
}

describe('the login limit (#16.9)', () => {
  it('locks one address out of the account it guesses, not out of the others', async () => {
    const f = await portal();
    for (let i = 0; i < 3; i++) await login(f, '198.51.100.1', 'ivan', `wrong-${i}`).expect(401);
    const blocked = await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(429);
    expect(blocked.body.error.code).toBe('ERR_RATE_LIMITED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // A colleague behind the same office address logs in to their own account.
    await login(f, '198.51.100.1', 'vera', PASSWORDS.vera).expect(200);
    // The account owner from anywhere else is not blocked either.
    await login(f, '203.0.113.5', 'ivan', PASSWORDS.ivan).expect(200);
  });

  it('stops wrong passwords for one account from many addresses reaching the check', async () => {
    const f = await portal(3, 5);
    const answers: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let a = 1; a <= 10; a++) {
        answers.push((await login(f, `192.0.2.${a}`, 'ivan', `guess-${round}-${a}`)).status);
      }
    }
    // Each address's first guess is a fresh client's (it could be the owner's); once the account
    // has had its 5 failures, no address that has failed on it gets another.
    expect(answers.slice(0, 10)).toEqual(new Array(10).fill(401));
    expect(answers.slice(10)).toEqual(new Array(20).fill(429));
    // A fresh client with the right password still gets in.
    await login(f, '203.0.113.77', 'ivan', PASSWORDS.ivan).expect(200);
  });

  it('counts the addresses of one IPv6 /64 as one client: choosing another inside it buys no guess', async () => {
    const f = await portal(3, 100);
    const answers: number[] = [];
    for (let a = 1; a <= 6; a++) {
      answers.push(
        (await login(f, `2001:db8:7:1::${a.toString(16)}`, 'ivan', `guess-${a}`)).status,
      );
    }
    // Three guesses for the /64, then refused, whichever of its addresses asks.
    expect(answers).toEqual([401, 401, 401, 429, 429, 429]);
    await login(f, '2001:db8:7:1:ffff::9', 'ivan', PASSWORDS.ivan).expect(429);
    // An IPv4 client seen through an IPv6 socket is that IPv4 client.
    for (let i = 0; i < 3; i++) await login(f, '198.51.100.9', 'ivan', `wrong-${i}`).expect(401);
    await login(f, '::ffff:198.51.100.9', 'ivan', PASSWORDS.ivan).expect(429);
    // The next /64 is another client.
    await login(f, '2001:db8:7:2::1', 'ivan', PASSWORDS.ivan).expect(200);
  });

  it('lets a 2FA user log in in two steps from a fresh address after many addresses failed', async () => {
    const f = await portal(3, 5);
    const ivan = await loginAs(f, 'ivan');
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    const secret = begun.body.secret as string;
    const enrolCode = await generate({ secret, epoch: Math.floor(f.clock.now / 1000) });
    await send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code: enrolCode }).expect(200);
    f.advance(30_000);
    for (let round = 0; round < 3; round++) {
      for (let a = 1; a <= 10; a++) await login(f, `192.0.2.${a}`, 'ivan', `guess-${round}-${a}`);
    }
    // The login page posts the password first, then the password and the code: the first step
    // (a right password) is no failure of the client, so the second is a fresh client's too.
    const asked = await login(f, '203.0.113.77', 'ivan', PASSWORDS.ivan).expect(401);
    expect(asked.body.error.code).toBe('ERR_2FA_REQUIRED');
    const code = await generate({ secret, epoch: Math.floor(f.clock.now / 1000) });
    await request(f.app)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '203.0.113.77')
      .send({ name: 'ivan', password: PASSWORDS.ivan, code })
      .expect(200);
  });

  it('never counts successful logins', async () => {
    const f = await portal(3);
    for (let i = 0; i < 6; i++) await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(200);
    for (let i = 0; i < 2; i++) await login(f, '198.51.100.1', 'ivan', `wrong-${i}`).expect(401);
    await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(200);
  });

  it('lets attempts through again once the window has passed', async () => {
    const f = await portal();
    for (let i = 0; i < 3; i++) await login(f, '198.51.100.1', 'ivan', `wrong-${i}`);
    await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(429);
    f.advance(60_000);
    await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(200);
  });
});

/** The statuses of `n` requests sent at once, counted: `{401: 2, 429: 10}`. */
async function burst(n: number, one: (i: number) => PromiseLike<{ status: number }>) {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** A wrong 6-digit code for `secret` at the fixture's clock. */
async function wrongCode(f: Fixture, secret: string): Promise<string> {
  const right = await generate({ secret, epoch: Math.floor(f.clock.now / 1000) });
  return right === '000000' ? '111111' : '000000';
}

describe('the login limit under concurrent requests', () => {
  it('judges at most `limit` passwords of a burst; the rest are refused before the check', async () => {
    const f = await portal(2, 1000);
    const counts = await burst(12, (i) => login(f, '198.51.100.1', 'ivan', `wrong-${i}`));
    expect(counts[401] ?? 0).toBeLessThanOrEqual(2);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(12);
    // Two failures were judged; the address stays refused for the account.
    await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(429);
    expect(await f.issuer.store.listAuditEvents({ action: 'session.login-failed' })).toHaveLength(
      counts[401] ?? 0,
    );
    // Nobody else is locked out: another client of the account, another account from the address.
    await login(f, '203.0.113.5', 'ivan', PASSWORDS.ivan).expect(200);
    await login(f, '198.51.100.1', 'vera', PASSWORDS.vera).expect(200);
    // After the window, the right password works from the address that guessed.
    f.advance(60_000);
    await login(f, '198.51.100.1', 'ivan', PASSWORDS.ivan).expect(200);
  });

  it('holds across two portal processes on one store', async () => {
    const f = await portal(2, 1000);
    const other = createPortalApp({
      issuer: f.issuer,
      now: () => f.clock.now,
      logger: pino({ level: 'silent' }),
      webRoot: null,
      trustProxy: true,
      loginRateLimit: { windowMs: 60_000, limit: 2, accountLimit: 1000 },
    });
    const counts = await burst(12, (i) =>
      request(i % 2 === 0 ? f.app : other.app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '198.51.100.1')
        .send({ name: 'ivan', password: `wrong-${i}` }),
    );
    expect(counts[401] ?? 0).toBeLessThanOrEqual(2);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(12);
  });

  it('judges at most `limit` 2FA codes of a burst at login', async () => {
    const f = await portal(2, 1000);
    const ivan = await loginAs(f, 'ivan');
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    const secret = begun.body.secret as string;
    const code = await generate({ secret, epoch: Math.floor(f.clock.now / 1000) });
    await send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code }).expect(200);
    f.advance(30_000);
    const wrong = await wrongCode(f, secret);
    const counts = await burst(12, () =>
      request(f.app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '198.51.100.1')
        .send({ name: 'ivan', password: PASSWORDS.ivan, code: wrong }),
    );
    expect(counts[401] ?? 0).toBeLessThanOrEqual(2);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(12);
    expect(await f.issuer.store.listAuditEvents({ action: 'session.2fa-failed' })).toHaveLength(
      counts[401] ?? 0,
    );
    f.advance(60_000);
    const right = await generate({ secret, epoch: Math.floor(f.clock.now / 1000) });
    await request(f.app)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '198.51.100.1')
      .send({ name: 'ivan', password: PASSWORDS.ivan, code: right })
      .expect(200);
  });

  it('judges at most `limit` codes of a burst on the routes that take one', async () => {
    const f = await portal(2, 1000);
    const ivan = await loginAs(f, 'ivan');
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    const secret = begun.body.secret as string;
    const wrong = await wrongCode(f, secret);
    // A slow store read, as on a busy store: every request of the burst is in flight at once.
    const twoFactorStore = f.issuer.store.twoFactor;
    const read = twoFactorStore.getTwoFactor.bind(twoFactorStore);
    vi.spyOn(twoFactorStore, 'getTwoFactor').mockImplementation(async (userId) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return read(userId);
    });
    const counts = await burst(12, () =>
      send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code: wrong }),
    );
    expect(counts[401] ?? 0).toBeLessThanOrEqual(2);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(12);
  });

  it('judges at most `limit` current passwords of a burst of password changes', async () => {
    const f = await portal(2, 1000);
    const ivan = await loginAs(f, 'ivan');
    const counts = await burst(12, (i) =>
      send(ivan, 'post', '/api/v1/auth/password', {
        currentPassword: `wrong-${i}`,
        newPassword: 'a brand new password for ivan',
      }),
    );
    expect(counts[403] ?? 0).toBeLessThanOrEqual(2);
    expect((counts[403] ?? 0) + (counts[429] ?? 0)).toBe(12);
  });

  it('a right current password clears the count, and a 2FA route in the wrong state counts nothing', async () => {
    const f = await portal(2, 1000);
    const ivan = await loginAs(f, 'ivan');
    for (let i = 0; i < 3; i++) {
      await send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code: '123456' }).expect(409);
    }
    await send(ivan, 'post', '/api/v1/auth/password', {
      currentPassword: 'wrong',
      newPassword: 'a brand new password for ivan',
    }).expect(403);
    const changed = await send(ivan, 'post', '/api/v1/auth/password', {
      currentPassword: PASSWORDS.ivan,
      newPassword: 'a brand new password for ivan',
    }).expect(200);
    const next = {
      agent: ivan.agent,
      csrf: changed.body.csrfToken as string,
      cookie: sessionCookie(changed.headers['set-cookie']),
    };
    for (let i = 0; i < 2; i++) {
      await send(next, 'post', '/api/v1/auth/password', {
        currentPassword: `wrong-${i}`,
        newPassword: 'another new password for ivan',
      }).expect(403);
    }
  });
});
