import { armourBlocks, decodeChallengeUnverified, Keyring, verifyLicense } from '@licensor/token';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  storeState,
  type TestInstallation,
} from '../../../../test/helpers.js';

let fixture: Fixture;
let issuer: LoggedIn;
let installation: TestInstallation;
let licenseId: string;

/** A model-switch challenge from the installation that holds the license, and its inspection. */
async function switchRequest(): Promise<{ id: string; challenge: string }> {
  const challenge = makeChallenge(fixture, installation, {
    license: { id: licenseId, revision: 1, customerName: 'Acme Bank', model: 'perpetual' },
    request: { kind: 'model-switch', model: 'subscription' },
  });
  const inspected = await issuer.agent
    .post('/api/v1/challenges/inspect')
    .set('X-CSRF-Token', issuer.csrf)
    .send({ challenge })
    .expect(200);
  expect(inspected.body.findings.map((f: { kind: string }) => f.kind)).toContain('model-switch');
  return { id: inspected.body.approvalRequest.id, challenge };
}

beforeEach(async () => {
  fixture = await makePortal();
  issuer = await loginAs(fixture, 'ivan');
  installation = newInstallation();
  licenseId = (await issueThroughApi(issuer, makeChallenge(fixture, installation))).license.id;
});
afterEach(async () => {
  await fixture.close();
});

describe('approval requests', () => {
  it('lists a model switch as pending once its challenge is inspected', async () => {
    const { id, challenge } = await switchRequest();
    const viewer = await loginAs(fixture, 'vera');
    const list = await viewer.agent.get('/api/v1/requests').expect(200);
    // With the chl_… id the CMS shows for it (`licensor requests`), read from its challenge.
    const challengeId = decodeChallengeUnverified(challenge).claims.jti;
    expect(challengeId).toEqual(expect.any(String));
    expect(list.body.items).toEqual([
      expect.objectContaining({
        id,
        challengeId,
        kind: 'model-switch',
        status: 'pending',
        licenseId,
      }),
    ]);
    expect(list.body.items[0]).not.toHaveProperty('challenge');
    const one = await viewer.agent.get(`/api/v1/requests/${id}`).expect(200);
    expect(one.body.asked).toEqual({ kind: 'model-switch', model: 'subscription' });
  });

  it('approves: a key with the new model, and the request leaves the pending list', async () => {
    const { id } = await switchRequest();
    const approved = await issuer.agent
      .post(`/api/v1/requests/${id}/approve`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ termDays: 90 })
      .expect(201);
    const jwks = (await issuer.agent.get('/api/v1/keys/jwks')).body;
    const claims = verifyLicense(approved.body.licenseKey, Keyring.fromJwks(jwks)).claims;
    expect(claims).toMatchObject({
      lid: licenseId,
      model: 'subscription',
      rev: 2,
      sub: installation.id,
    });
    expect(approved.body.request.status).toBe('approved');
    const pending = await issuer.agent.get('/api/v1/requests').expect(200);
    expect(pending.body.items).toEqual([]);
    const all = await issuer.agent.get('/api/v1/requests?status=all').expect(200);
    expect(all.body.items[0]).toMatchObject({ id, status: 'approved', decidedBy: 'ivan' });
  });

  it('approves a format 2 request: the answer carries the key set versions it lacks before the key (#11)', async () => {
    const next = await fixture.issuer.keys.rotate('license', 'alice');
    await fixture.issuer.keys.activate(next.kid, 'alice');
    const challenge = makeChallenge(fixture, installation, {
      v: 2,
      keyset: 1,
      license: { id: licenseId, revision: 1, customerName: 'Acme Bank', model: 'perpetual' },
      request: { kind: 'model-switch', model: 'subscription' },
    });
    const inspected = await issuer.agent
      .post('/api/v1/challenges/inspect')
      .set('X-CSRF-Token', issuer.csrf)
      .send({ challenge })
      .expect(200);
    const approved = await issuer.agent
      .post(`/api/v1/requests/${inspected.body.approvalRequest.id}/approve`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ termDays: 90 })
      .expect(201);
    const { keysets, armoured, licenseKey } = approved.body;
    const published = (await fixture.issuer.keys.keysets()).map((k) => k.token);
    expect(keysets).toEqual(published.slice(1));
    expect(armourBlocks(armoured).map((b) => b.token)).toEqual([...keysets, licenseKey]);
  });

  it('refuses to approve a request naming a key set version never published: 422 ERR_KEYSET_UNKNOWN, still pending (#11)', async () => {
    const challenge = makeChallenge(fixture, installation, {
      v: 2,
      keyset: 40,
      license: { id: licenseId, revision: 1, customerName: 'Acme Bank', model: 'perpetual' },
      request: { kind: 'model-switch', model: 'subscription' },
    });
    const inspected = await issuer.agent
      .post('/api/v1/challenges/inspect')
      .set('X-CSRF-Token', issuer.csrf)
      .send({ challenge })
      .expect(200);
    const id = inspected.body.approvalRequest.id;
    const refused = await issuer.agent
      .post(`/api/v1/requests/${id}/approve`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({})
      .expect(422);
    expect(refused.body.error.code).toBe('ERR_KEYSET_UNKNOWN');
    expect((await issuer.agent.get(`/api/v1/requests/${id}`).expect(200)).body.status).toBe(
      'pending',
    );
    expect((await fixture.issuer.getLicense(licenseId))?.license.revision).toBe(1);
  });

  it('rejects with a reason, and a second decision is refused with 409 ERR_REQUEST_DECIDED', async () => {
    const { id } = await switchRequest();
    const rejected = await issuer.agent
      .post(`/api/v1/requests/${id}/reject`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({ reason: 'stay on perpetual until renewal' })
      .expect(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      reason: 'stay on perpetual until renewal',
    });
    const before = await storeState(fixture);
    const again = await issuer.agent
      .post(`/api/v1/requests/${id}/approve`)
      .set('X-CSRF-Token', issuer.csrf)
      .send({})
      .expect(409);
    expect(again.body.error.code).toBe('ERR_REQUEST_DECIDED');
    expect(await storeState(fixture)).toEqual(before);
  });

  it('refuses to issue a switch without approval (409 ERR_APPROVAL_REQUIRED)', async () => {
    const { challenge } = await switchRequest();
    const response = await issuer.agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', issuer.csrf)
      .send({
        challenge,
        terms: { customerName: 'Acme Bank', model: 'subscription', credentials: 100, termDays: 30 },
      })
      .expect(409);
    expect(response.body.error.code).toBe('ERR_APPROVAL_REQUIRED');
  });

  it('does not let a viewer approve', async () => {
    const { id } = await switchRequest();
    const viewer = await loginAs(fixture, 'vera');
    const response = await viewer.agent
      .post(`/api/v1/requests/${id}/approve`)
      .set('X-CSRF-Token', viewer.csrf)
      .send({})
      .expect(403);
    expect(response.body.error.code).toBe('ERR_FORBIDDEN');
  });

  it('answers 404 ERR_REQUEST_NOT_FOUND for an unknown request', async () => {
    const response = await issuer.agent
      .post('/api/v1/requests/req_nope/approve')
      .set('X-CSRF-Token', issuer.csrf)
      .send({})
      .expect(404);
    expect(response.body.error.code).toBe('ERR_REQUEST_NOT_FOUND');
  });
});
