// A user changed outside the portal's user routes (the CLI's `users disable | set-role |
// reset-2fa | set-password` on the store, an SSO login with fewer groups) is read again by every open session
// within USER_RECHECK_MS: disabled, 2FA reset or a password set ends it, a lower role is what it holds from then.
import { generate } from 'otplib';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, loginAs, makePortal, PASSWORDS, send } from '../../../test/helpers.js';
import { USER_RECHECK_MS } from './session-manager.js';

const BOB = { name: 'bob', password: 'bob-admin-password-long' };

let fixture: Fixture;
beforeEach(async () => {
  fixture = await makePortal();
  // A second admin: the store refuses to disable or demote the last one.
  await fixture.issuer.users.add(BOB.name, 'admin', BOB.password, 'test-setup');
});
afterEach(async () => {
  await fixture.close();
});

async function loginBob() {
  const response = await request(fixture.app).post('/api/v1/auth/login').send(BOB).expect(200);
  const cookie = (response.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  return cookie;
}

function get(path: string, cookie: string) {
  return request(fixture.app).get(path).set('Cookie', cookie);
}

describe('a session whose user changed outside the portal', () => {
  it('ends when the user is disabled (licensor-issuer users disable)', async () => {
    const cookie = await loginBob();
    await get('/api/v1/auth/session', cookie).expect(200);
    await fixture.issuer.users.disable(BOB.name, 'licensor-issuer');
    fixture.advance(USER_RECHECK_MS);
    const refused = await get('/api/v1/auth/session', cookie).expect(401);
    expect(refused.body.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.body.error.message).toMatch(/Log in again/);
    // Ended in the store: enabling the user again does not bring the session back.
    await fixture.issuer.users.enable(BOB.name, 'licensor-issuer');
    fixture.advance(USER_RECHECK_MS);
    await get('/api/v1/auth/session', cookie).expect(401);
  });

  it('holds the lower role once the user is demoted (licensor-issuer users set-role)', async () => {
    const cookie = await loginBob();
    await get('/api/v1/users', cookie).expect(200);
    await fixture.issuer.users.setRole(BOB.name, 'viewer', 'licensor-issuer');
    fixture.advance(USER_RECHECK_MS);
    const refused = await get('/api/v1/users', cookie).expect(403);
    expect(refused.body.error.code).toBe('ERR_FORBIDDEN');
    const session = await get('/api/v1/auth/session', cookie).expect(200);
    expect(session.body.user.role).toBe('viewer');
    // Another user's session is untouched.
    const alice = await loginAs(fixture, 'alice');
    await alice.agent.get('/api/v1/users').expect(200);
  });

  it('ends when the user is given a higher role: the next login applies it', async () => {
    const vera = await loginAs(fixture, 'vera');
    await fixture.issuer.users.setRole('vera', 'admin', 'licensor-issuer');
    fixture.advance(USER_RECHECK_MS);
    await vera.agent.get('/api/v1/auth/session').expect(401);
  });

  it('ends when the user’s 2FA is reset (licensor-issuer users reset-2fa)', async () => {
    const ivan = await loginAs(fixture, 'ivan');
    const begun = await send(ivan, 'post', '/api/v1/auth/2fa/enrol').expect(200);
    const code = await generate({
      secret: begun.body.secret,
      epoch: Math.floor(fixture.clock.now / 1000),
    });
    await send(ivan, 'post', '/api/v1/auth/2fa/confirm', { code }).expect(200);
    const id = (await fixture.issuer.users.get('ivan')).id;
    fixture.advance(1_000);
    // What the CLI does: the 2FA record deleted, and `2fa.reset` in the audit log.
    await fixture.issuer.store.twoFactor.deleteTwoFactor(id);
    await fixture.issuer.store.appendAuditEvent({
      id: 'evt_reset2fa',
      at: fixture.clock.now,
      actor: 'licensor-issuer',
      action: '2fa.reset',
      subjectId: id,
      transactionId: null,
      details: { name: 'ivan', by: 'licensor-issuer' },
    });
    fixture.advance(USER_RECHECK_MS);
    await ivan.agent.get('/api/v1/auth/session').expect(401);
    // A login after the reset is not ended by it.
    const again = await loginAs(fixture, 'ivan');
    fixture.advance(USER_RECHECK_MS);
    await again.agent.get('/api/v1/auth/session').expect(200);
  });

  it('ends when the user’s password is set (licensor-issuer users set-password)', async () => {
    const cookie = await loginBob();
    await get('/api/v1/auth/session', cookie).expect(200);
    fixture.advance(1_000);
    // What the CLI runs.
    const NEW = 'bob-new-password-from-the-cli';
    await fixture.issuer.users.setPassword(BOB.name, NEW, 'licensor-issuer', { oneTime: false });
    fixture.advance(USER_RECHECK_MS);
    const refused = await get('/api/v1/auth/session', cookie).expect(401);
    expect(refused.body.error.code).toBe('ERR_UNAUTHENTICATED');
    // A login after the change is not ended by it.
    const again = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: BOB.name, password: NEW })
      .expect(200);
    const fresh = (again.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    fixture.advance(USER_RECHECK_MS);
    await get('/api/v1/auth/session', fresh).expect(200);
  });

  it('keeps the session the portal’s own password change starts (same millisecond too)', async () => {
    const here = await loginAs(fixture, 'vera');
    const elsewhere = await loginAs(fixture, 'vera');
    fixture.advance(1_000);
    // The clock does not move between the change's `user.password` event and the new session.
    await send(here, 'post', '/api/v1/auth/password', {
      currentPassword: PASSWORDS.vera,
      newPassword: 'vera-changed-her-own-password',
    }).expect(200);
    await here.agent.get('/api/v1/auth/session').expect(200);
    fixture.advance(USER_RECHECK_MS);
    await here.agent.get('/api/v1/auth/session').expect(200);
    await elsewhere.agent.get('/api/v1/auth/session').expect(401);
  });
});
