import { LastAdminError } from '@licensor/issuer';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, loginAs, makePortal } from '../../../../test/helpers.js';

let fixture: Fixture;
beforeEach(async () => {
  fixture = await makePortal();
});
afterEach(async () => {
  await fixture.close();
});

describe('users', () => {
  it('an admin adds a user who can then log in with that role', async () => {
    const admin = await loginAs(fixture, 'alice');
    const added = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: 'sam', role: 'issuer', password: 'a-long-enough-password' })
      .expect(201);
    expect(added.body).toMatchObject({ name: 'sam', role: 'issuer', disabled: false });
    expect(added.body).not.toHaveProperty('passwordHash');
    const login = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'sam', password: 'a-long-enough-password' })
      .expect(200);
    expect(login.body.user.role).toBe('issuer');
  });

  it('refuses a short password with the field named', async () => {
    const admin = await loginAs(fixture, 'alice');
    const response = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: 'sam', role: 'issuer', password: 'short' })
      .expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
    expect(response.body.error.issues[0].path).toBe('body.password');
  });

  it('refuses a duplicate name (409 ERR_USER_EXISTS)', async () => {
    const admin = await loginAs(fixture, 'alice');
    const response = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: 'ivan', role: 'viewer', password: 'a-long-enough-password' })
      .expect(409);
    expect(response.body.error.code).toBe('ERR_USER_EXISTS');
  });

  it('keeps the user list from issuers and viewers', async () => {
    for (const user of ['ivan', 'vera'] as const) {
      const session = await loginAs(fixture, user);
      const response = await session.agent.get('/api/v1/users').expect(403);
      expect(response.body.error.code).toBe('ERR_FORBIDDEN');
    }
  });

  it('a role change takes effect at once: the user’s sessions end', async () => {
    const admin = await loginAs(fixture, 'alice');
    const ivan = await loginAs(fixture, 'ivan');
    await admin.agent
      .patch('/api/v1/users/ivan')
      .set('X-CSRF-Token', admin.csrf)
      .send({ role: 'viewer' })
      .expect(200);
    const after = await ivan.agent.get('/api/v1/auth/session').expect(401);
    expect(after.body.error.code).toBe('ERR_UNAUTHENTICATED');
    const again = await loginAs(fixture, 'ivan');
    expect((await again.agent.get('/api/v1/auth/session')).body.user.role).toBe('viewer');
  });

  it('a disabled user is logged out and cannot log in', async () => {
    const admin = await loginAs(fixture, 'alice');
    const vera = await loginAs(fixture, 'vera');
    await admin.agent
      .patch('/api/v1/users/vera')
      .set('X-CSRF-Token', admin.csrf)
      .send({ disabled: true })
      .expect(200);
    await vera.agent.get('/api/v1/licenses').expect(401);
    await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'vera', password: 'vera-viewer-password' })
      .expect(401);
  });

  it('an admin cannot disable themselves', async () => {
    const admin = await loginAs(fixture, 'alice');
    const response = await admin.agent
      .patch('/api/v1/users/alice')
      .set('X-CSRF-Token', admin.csrf)
      .send({ disabled: true })
      .expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
  });

  it('an admin cannot demote or disable themselves by writing their name in another case', async () => {
    const admin = await loginAs(fixture, 'alice');
    for (const body of [{ role: 'viewer' }, { disabled: true }]) {
      const response = await admin.agent
        .patch('/api/v1/users/ALICE')
        .set('X-CSRF-Token', admin.csrf)
        .send(body)
        .expect(400);
      expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
    }
    const alice = (await fixture.issuer.users.list()).find((u) => u.name === 'alice');
    expect(alice).toMatchObject({ role: 'admin', disabled: false });
  });

  it('refuses a change whose password the issuer refuses before writing any of it, and the session lives on', async () => {
    const admin = await loginAs(fixture, 'alice');
    const ivan = await loginAs(fixture, 'ivan');
    const before = await fixture.issuer.users.list();
    const audited = (await admin.agent.get('/api/v1/audit').expect(200)).body.items.length;
    // 600 emoji: within the route's 1000 characters, over the issuer's 1024 UTF-16 units.
    const response = await admin.agent
      .patch('/api/v1/users/ivan')
      .set('X-CSRF-Token', admin.csrf)
      .send({ role: 'viewer', disabled: true, password: '\u{1F600}'.repeat(600) })
      .expect(400);
    expect(response.body.error.code).toBe('ERR_INPUT_INVALID');
    expect(await fixture.issuer.users.list()).toEqual(before);
    expect((await admin.agent.get('/api/v1/audit').expect(200)).body.items).toHaveLength(audited);
    // Nothing changed, so nothing ended: the user is still logged in with the same role.
    expect((await ivan.agent.get('/api/v1/auth/session').expect(200)).body.user.role).toBe(
      'issuer',
    );
  });

  it('ends the user’s sessions when a later step of a change fails after an earlier one was written', async () => {
    const admin = await loginAs(fixture, 'alice');
    const ivan = await loginAs(fixture, 'ivan');
    const users = fixture.issuer.users;
    const setPassword = users.setPassword;
    users.setPassword = async () => {
      throw new Error('the store went away');
    };
    try {
      await admin.agent
        .patch('/api/v1/users/ivan')
        .set('X-CSRF-Token', admin.csrf)
        .send({ disabled: true, password: 'a-long-enough-password' })
        .expect(500);
    } finally {
      users.setPassword = setPassword;
    }
    // The disable was written: the session that could still issue is gone.
    expect((await users.list()).find((u) => u.name === 'ivan')?.disabled).toBe(true);
    await ivan.agent.get('/api/v1/licenses').expect(401);
  });

  it('keeps the user’s sessions when the change is refused before anything was written', async () => {
    const admin = await loginAs(fixture, 'alice');
    const ivan = await loginAs(fixture, 'ivan');
    const users = fixture.issuer.users;
    const setRole = users.setRole;
    users.setRole = async () => {
      throw new LastAdminError('ivan');
    };
    try {
      const refused = await admin.agent
        .patch('/api/v1/users/ivan')
        .set('X-CSRF-Token', admin.csrf)
        .send({ role: 'viewer' })
        .expect(409);
      expect(refused.body.error.code).toBe('ERR_LAST_ADMIN');
    } finally {
      users.setRole = setRole;
    }
    await ivan.agent.get('/api/v1/auth/session').expect(200);
  });

  it('records user changes in the audit log with the admin as actor', async () => {
    const admin = await loginAs(fixture, 'alice');
    await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: 'sam', role: 'viewer', password: 'a-long-enough-password' })
      .expect(201);
    const audit = await admin.agent.get('/api/v1/audit').query({ actor: 'alice' }).expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('user.add');
  });
});

describe('one-time passwords', () => {
  it('a password an admin set is one-time: the session answers only the password change until the user picks their own', async () => {
    const admin = await loginAs(fixture, 'alice');
    const set = await admin.agent
      .patch('/api/v1/users/ivan')
      .set('X-CSRF-Token', admin.csrf)
      .send({ password: 'alice-set-this-for-ivan' })
      .expect(200);
    expect(set.body.passwordOneTime).toBe(true);

    const ivan = request.agent(fixture.app);
    const login = await ivan
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: 'alice-set-this-for-ivan' })
      .expect(200);
    expect(login.body.passwordChangeRequired).toBe(true);
    const csrf = login.body.csrfToken as string;
    expect((await ivan.get('/api/v1/auth/session').expect(200)).body.passwordChangeRequired).toBe(
      true,
    );

    // Everything else is refused, and refusing changes nothing.
    const before = await fixture.issuer.listCustomers();
    const refused = await ivan.get('/api/v1/licenses').expect(403);
    expect(refused.body.error.code).toBe('ERR_PASSWORD_CHANGE_REQUIRED');
    const write = await ivan
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', csrf)
      .send({ challenge: 'x', terms: {} })
      .expect(403);
    expect(write.body.error.code).toBe('ERR_PASSWORD_CHANGE_REQUIRED');
    expect(await fixture.issuer.listCustomers()).toEqual(before);

    // "Changing" it to itself is refused: still one-time.
    const same = await ivan
      .post('/api/v1/auth/password')
      .set('X-CSRF-Token', csrf)
      .send({
        currentPassword: 'alice-set-this-for-ivan',
        newPassword: 'alice-set-this-for-ivan',
      })
      .expect(422);
    expect(same.body.error.code).toBe('ERR_PASSWORD_UNCHANGED');
    expect(
      await fixture.issuer.users.authenticate('ivan', 'alice-set-this-for-ivan'),
    ).toMatchObject({ passwordOneTime: true });

    const changed = await ivan
      .post('/api/v1/auth/password')
      .set('X-CSRF-Token', csrf)
      .send({ currentPassword: 'alice-set-this-for-ivan', newPassword: 'ivan-chose-this-one' })
      .expect(200);
    expect(changed.body).not.toHaveProperty('passwordChangeRequired');
    await ivan.get('/api/v1/licenses').expect(200);
    expect(
      await fixture.issuer.users.authenticate('ivan', 'ivan-chose-this-one'),
    ).not.toHaveProperty('passwordOneTime');
    // Logging in again with the new one opens a full session at once.
    const again = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: 'ivan-chose-this-one' })
      .expect(200);
    expect(again.body).not.toHaveProperty('passwordChangeRequired');
  });

  it('a user an admin adds starts with a one-time password; an admin setting their own does not', async () => {
    const admin = await loginAs(fixture, 'alice');
    const added = await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ name: 'sam', role: 'viewer', password: 'a-long-enough-password' })
      .expect(201);
    expect(added.body.passwordOneTime).toBe(true);
    const login = await request(fixture.app)
      .post('/api/v1/auth/login')
      .send({ name: 'sam', password: 'a-long-enough-password' })
      .expect(200);
    expect(login.body.passwordChangeRequired).toBe(true);

    const own = await admin.agent
      .patch('/api/v1/users/alice')
      .set('X-CSRF-Token', admin.csrf)
      .send({ password: 'alice-picked-her-own' })
      .expect(200);
    expect(own.body).not.toHaveProperty('passwordOneTime');
  });
});
