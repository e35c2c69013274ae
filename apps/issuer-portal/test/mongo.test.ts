// The portal on the MongoDB store: the same API over the other adapter. Runs when MONGODB_URI
// is set (CI sets it and LICENSOR_REQUIRE_MONGO=1); otherwise skipped with how to run it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Issuer, openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortalApp } from '../src/server/app.js';
import { makeChallenge, newInstallation, PASSWORDS, PERPETUAL_TERMS, START } from './helpers.js';

const uri = process.env.MONGODB_URI ?? '';
if (uri === '') {
  if (process.env.LICENSOR_REQUIRE_MONGO === '1') {
    throw new Error('LICENSOR_REQUIRE_MONGO=1 but MONGODB_URI is not set');
  }
  console.warn(
    'MongoDB portal suite skipped: MONGODB_URI is not set. Run it with ' +
      '`MONGODB_URI=$(scripts/ferretdb.sh 27017) pnpm --filter @licensor/issuer-portal test`',
  );
}

describe.skipIf(uri === '')('the portal on the MongoDB store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-mongo-'));
  const clock = { now: START };
  let issuer: Issuer;
  let close: () => Promise<void>;
  let app: ReturnType<typeof createPortalApp>['app'];

  beforeAll(async () => {
    const store = await openStore({
      dataDir,
      mongoUri: uri,
      mongoDbName: `licensor_portal_test_${process.pid}_${randomBytes(4).toString('hex')}`,
    });
    close = () => store.close();
    issuer = await openIssuer({ store, now: () => clock.now });
    await issuer.init('test-setup');
    await issuer.users.add('ivan', 'issuer', PASSWORDS.ivan, 'test-setup');
    app = createPortalApp({
      issuer,
      now: () => clock.now,
      logger: pino({ level: 'silent' }),
      webRoot: null,
    }).app;
  }, 60_000);
  afterAll(async () => {
    await close?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs in, issues, lists and revokes', async () => {
    const agent = request.agent(app);
    const login = await agent
      .post('/api/v1/auth/login')
      .send({ name: 'ivan', password: PASSWORDS.ivan })
      .expect(200);
    const csrf = login.body.csrfToken as string;
    const issued = await agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', csrf)
      .send({ challenge: makeChallenge({ clock }, newInstallation()), terms: PERPETUAL_TERMS })
      .expect(201);
    const health = await agent.get('/api/v1/health').expect(200);
    expect(health.body.store).toBe('mongo');
    const list = await agent.get('/api/v1/licenses').expect(200);
    expect(list.body.items.map((l: { id: string }) => l.id)).toEqual([issued.body.license.id]);
    const revoked = await agent
      .post(`/api/v1/licenses/${issued.body.license.id}/revoke`)
      .set('X-CSRF-Token', csrf)
      .send({ reason: 'test' })
      .expect(200);
    expect(revoked.body.license.state).toBe('revoked');
  });
});
