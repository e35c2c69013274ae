// The login limit keys on the client address together with the account it tries, counts
// failures only, and never lets someone else's failures block a correct password from a client
// that has not failed itself (#16.9; the limiter is auth/login-limit.ts, counted in the store).
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, makePortal, PASSWORDS } from '../../../../test/helpers.js';

let fixture: Fixture | undefined;
afterEach(async () => {
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
