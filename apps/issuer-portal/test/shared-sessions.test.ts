// Two portal processes on one store (as behind a load balancer): a session made by one is
// served by the other, ends on both, and failed logins count once for both. Runs on SQLite
// always, on MongoDB when MONGODB_URI is set (LICENSOR_REQUIRE_MONGO=1 makes that required).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Issuer, type OpenStoreOptions, openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortalApp } from '../src/server/app.js';
import { PASSWORDS, START, sessionCookie } from './helpers.js';

const mongoUri = process.env.MONGODB_URI ?? '';
if (mongoUri === '' && process.env.LICENSOR_REQUIRE_MONGO === '1') {
  throw new Error('LICENSOR_REQUIRE_MONGO=1 but MONGODB_URI is not set');
}

const kinds: { name: string; options: () => OpenStoreOptions }[] = [
  { name: 'SQLite', options: () => ({}) },
];
if (mongoUri !== '') {
  kinds.push({
    name: 'MongoDB',
    options: () => ({
      mongoUri,
      mongoDbName: `licensor_portal_shared_${process.pid}_${randomBytes(4).toString('hex')}`,
    }),
  });
}

const LIMIT = { windowMs: 15 * 60_000, limit: 3, accountLimit: 5 };

for (const kind of kinds) {
  describe(`two portal processes on one ${kind.name} store`, () => {
    const clock = { now: START };
    let dataDir: string;
    let issuers: Issuer[];
    let apps: ReturnType<typeof createPortalApp>['app'][];

    beforeEach(async () => {
      clock.now = START;
      dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-shared-'));
      const options = { dataDir, ...kind.options() };
      issuers = [];
      apps = [];
      for (let i = 0; i < 2; i++) {
        const issuer = await openIssuer({ store: await openStore(options), now: () => clock.now });
        if (i === 0) {
          await issuer.init('test-setup');
          await issuer.users.add('ivan', 'issuer', PASSWORDS.ivan, 'test-setup');
        }
        issuers.push(issuer);
        const portal = createPortalApp({
          issuer,
          now: () => clock.now,
          logger: pino({ level: 'silent' }),
          webRoot: null,
          trustProxy: true,
          loginRateLimit: LIMIT,
        });
        apps.push(portal.app);
      }
    }, 60_000);
    afterEach(async () => {
      for (const issuer of issuers) await issuer.store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const login = (app: (typeof apps)[number], password: string, address: string) =>
      request(app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', address)
        .send({ name: 'ivan', password });

    it('serves a session made by one process from the other, and ends it on both', async () => {
      const made = await login(apps[0]!, PASSWORDS.ivan, '10.0.0.1').expect(200);
      const cookie = sessionCookie(made.headers['set-cookie']);
      const csrf = made.body.csrfToken as string;
      const seen = await request(apps[1]!).get('/api/v1/auth/session').set('Cookie', cookie);
      expect(seen.status).toBe(200);
      expect(seen.body).toMatchObject({ user: { name: 'ivan' }, csrfToken: csrf });
      // The idle timer is shared too: activity on one process keeps the session alive on both.
      clock.now += 20 * 60_000;
      await request(apps[1]!).get('/api/v1/licenses').set('Cookie', cookie).expect(200);
      clock.now += 20 * 60_000;
      await request(apps[0]!).get('/api/v1/licenses').set('Cookie', cookie).expect(200);
      await request(apps[1]!)
        .post('/api/v1/auth/logout')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .expect(200);
      const after = await request(apps[0]!).get('/api/v1/licenses').set('Cookie', cookie);
      expect(after.status).toBe(401);
    });

    it('stores only a hash of the session id', async () => {
      const made = await login(apps[0]!, PASSWORDS.ivan, '10.0.0.1').expect(200);
      const id = sessionCookie(made.headers['set-cookie']).split('=')[1]!;
      expect(await issuers[1]!.store.automation.getSession(id)).toBeNull();
    });

    it('counts failures from both processes, per account and address, never blocking a fresh client', async () => {
      // Two failures on each process from one address: the limit of 3 is shared.
      await login(apps[0]!, 'wrong-1', '10.0.0.66').expect(401);
      await login(apps[1]!, 'wrong-2', '10.0.0.66').expect(401);
      await login(apps[0]!, 'wrong-3', '10.0.0.66').expect(401);
      const blocked = await login(apps[1]!, PASSWORDS.ivan, '10.0.0.66').expect(429);
      expect(blocked.body.error.code).toBe('ERR_RATE_LIMITED');
      expect(blocked.headers['retry-after']).toBe('900');
      // The real user at another address is not blocked by the attacker's failures.
      await login(apps[0]!, PASSWORDS.ivan, '10.0.0.7').expect(200);
      // Guessing from many addresses: past the account limit (5), each address that has
      // failed is refused, while a fresh address still gets its password checked.
      await login(apps[1]!, 'wrong-4', '10.0.1.1').expect(401);
      await login(apps[0]!, 'wrong-5', '10.0.1.2').expect(401);
      await login(apps[1]!, 'wrong-6', '10.0.1.1').expect(429);
      await login(apps[0]!, PASSWORDS.ivan, '10.0.1.3').expect(200);
      // The window passes: the address that was blocked may try again.
      clock.now += LIMIT.windowMs;
      await login(apps[1]!, PASSWORDS.ivan, '10.0.0.66').expect(200);
    });
  });
}
