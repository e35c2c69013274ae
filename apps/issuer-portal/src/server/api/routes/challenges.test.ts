import { armourBlocks, Keyring, verifyLicense } from '@licensor/token';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CMS_OPERATOR,
  type Fixture,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makeCms,
  makePortal,
  newInstallation,
  PERPETUAL_TERMS,
  SUBSCRIPTION_TERMS,
  storeState,
} from '../../../../test/helpers.js';

let fixture: Fixture;
const inspect = (session: LoggedIn, challenge: string) =>
  session.agent
    .post('/api/v1/challenges/inspect')
    .set('X-CSRF-Token', session.csrf)
    .send({ challenge });
const issue = (session: LoggedIn, body: object) =>
  session.agent.post('/api/v1/challenges/issue').set('X-CSRF-Token', session.csrf).send(body);

beforeEach(async () => {
  fixture = await makePortal();
});
afterEach(async () => {
  await fixture.close();
});

describe('POST /challenges/inspect', () => {
  it('decodes a wrapped, armoured challenge: installation, request, warnings, terms to prefill', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const installation = newInstallation();
    const challenge = makeChallenge(fixture, installation);
    const wrapped = `-----BEGIN LICENSOR CHALLENGE-----\n${challenge.match(/.{1,64}/g)!.join('\n')}\n-----END LICENSOR CHALLENGE-----\n`;
    const response = await inspect(issuer, wrapped).expect(200);
    expect(response.body.installationId).toBe(installation.id);
    expect(response.body.asked).toEqual({
      kind: 'license',
      credentials: 100,
      customerName: 'Acme Bank',
    });
    expect(response.body.claimedLicense).toBeNull();
    expect(response.body.findings.map((f: { kind: string }) => f.kind)).toContain(
      'new-installation',
    );
    expect(response.body.suggestedTerms).toMatchObject({
      customerName: 'Acme Bank',
      credentials: 100,
    });
  });

  it('prefills an empty customer name when a new installation names none', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const challenge = makeChallenge(fixture, newInstallation(), {
      request: { kind: 'license', credentials: 10 },
    });
    const response = await inspect(issuer, challenge).expect(200);
    expect(response.body.suggestedTerms).toMatchObject({ customerName: '', credentials: 10 });
  });

  it('answers 422 with the token code for text that is not a challenge', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await inspect(issuer, 'hello there').expect(422);
    expect(response.body.error.code).toBe('ERR_JWS_MALFORMED');
    expect(response.body.error.requestId).toEqual(expect.any(String));
  });

  it('says ERR_ARMOR_INVALID when a license key block is pasted where the challenge goes', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const pasted =
      '-----BEGIN LICENSOR LICENSE-----\nabc.def.ghi\n-----END LICENSOR LICENSE-----\n';
    const response = await inspect(issuer, pasted).expect(422);
    expect(response.body.error.code).toBe('ERR_ARMOR_INVALID');
  });

  it('answers ERR_SIGNATURE_INVALID for a challenge altered in transit', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const challenge = makeChallenge(fixture, newInstallation());
    const [h, p, s] = challenge.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    const response = await inspect(issuer, flipped).expect(422);
    expect(response.body.error.code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('refuses an empty challenge with ERR_REQUEST_INVALID naming the field', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await inspect(issuer, '').expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
    expect(response.body.error.issues[0].path).toBe('body.challenge');
  });
});

describe('POST /challenges/issue', () => {
  it('issues a key that verifies against the published JWKS and is bound to the installation', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const installation = newInstallation();
    const response = await issue(issuer, {
      challenge: makeChallenge(fixture, installation),
      terms: SUBSCRIPTION_TERMS,
    }).expect(201);
    expect(response.body.replayed).toBe(false);
    expect(response.body.armoured).toMatch(/^-----BEGIN LICENSOR LICENSE-----/);
    const jwks = await issuer.agent.get('/api/v1/keys/jwks').expect(200);
    const verified = verifyLicense(response.body.licenseKey, Keyring.fromJwks(jwks.body));
    expect(verified.claims).toMatchObject({
      sub: installation.id,
      jti: response.body.transactionId,
      lid: response.body.license.id,
      model: 'subscription',
      credentials: 250,
      customer: { name: 'Globex' },
    });
    expect(verified.claims.term!.end - verified.claims.term!.start).toBe(365 * 86_400);
    expect(response.body.license).not.toHaveProperty('latestToken');
  });

  it('answers the same transaction when the same challenge and terms are issued twice', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const challenge = makeChallenge(fixture, newInstallation());
    const first = await issue(issuer, { challenge, terms: PERPETUAL_TERMS }).expect(201);
    const second = await issue(issuer, { challenge, terms: PERPETUAL_TERMS }).expect(201);
    expect(second.body.replayed).toBe(true);
    expect(second.body.transactionId).toBe(first.body.transactionId);
    expect(second.body.licenseKey).toBe(first.body.licenseKey);
  });

  it('writes the issue to the audit log with the user, the time and the license', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await issue(issuer, {
      challenge: makeChallenge(fixture, newInstallation()),
      terms: PERPETUAL_TERMS,
    }).expect(201);
    const audit = await issuer.agent.get('/api/v1/audit').query({ actor: 'ivan' }).expect(200);
    const issued = audit.body.items.find(
      (e: { subjectId: string | null; action: string }) =>
        e.subjectId === response.body.license.id && e.action !== 'session.login',
    );
    expect(issued).toMatchObject({ actor: 'ivan', at: fixture.clock.now });
  });

  it('refuses terms that break the schema with ERR_REQUEST_INVALID and the path', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await issue(issuer, {
      challenge: makeChallenge(fixture, newInstallation()),
      terms: { ...PERPETUAL_TERMS, credentials: 0 },
    }).expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
    expect(response.body.error.issues[0].path).toBe('body.terms.credentials');
  });

  it("takes the issuer's limits, the token's bounds: 1e9 credentials, 3660 days of grace (#10.1, #16.15)", async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const beyond = await issue(issuer, {
      challenge: makeChallenge(fixture, newInstallation()),
      terms: { ...SUBSCRIPTION_TERMS, graceDays: 3661 },
    }).expect(400);
    expect(beyond.body.error.issues[0]).toMatchObject({
      path: 'body.terms.graceDays',
      message: expect.stringContaining('3660'),
    });
    // Above the portal's old cap of 10 million, within the token's: one bound, from one place.
    const large = await issue(issuer, {
      challenge: makeChallenge(fixture, newInstallation()),
      terms: { ...SUBSCRIPTION_TERMS, credentials: 1_000_000_000, graceDays: 3660 },
    }).expect(201);
    expect(large.body.license).toMatchObject({ credentials: 1_000_000_000 });
  });

  it('answers 409 ERR_INSTALLATION_LICENSED for a second license on one installation, unless it supersedes (#16.12)', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const installation = newInstallation();
    const first = await issue(issuer, {
      challenge: makeChallenge(fixture, installation),
      terms: PERPETUAL_TERMS,
    }).expect(201);
    const second = makeChallenge(fixture, installation);
    const before = await storeState(fixture);
    const refused = await issue(issuer, { challenge: second, terms: PERPETUAL_TERMS }).expect(409);
    expect(refused.body.error.code).toBe('ERR_INSTALLATION_LICENSED');
    expect(await storeState(fixture)).toEqual(before);
    expect(refused.body.error.message).toContain(first.body.license.id);
    const replaced = await issue(issuer, {
      challenge: second,
      terms: PERPETUAL_TERMS,
      supersede: true,
    }).expect(201);
    const old = await issuer.agent.get(`/api/v1/licenses/${first.body.license.id}`).expect(200);
    expect(JSON.stringify(old.body)).toContain(`superseded by license ${replaced.body.license.id}`);
  });

  it('refuses a subscription without a term as the issuer rules it (ERR_TERMS_INVALID)', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await issuer.agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', issuer.csrf)
      .send({
        challenge: makeChallenge(fixture, newInstallation()),
        terms: { customerName: 'X', model: 'subscription', credentials: 5, termDays: 0 },
      });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('POST /challenges/issue: a refusal of the terms names its field', () => {
  it('says which field the issuer refused (field), for the form to show it there; nothing is issued', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const send = (customerName: string) =>
      issuer.agent
        .post('/api/v1/challenges/issue')
        .set('X-CSRF-Token', issuer.csrf)
        .send({
          challenge: makeChallenge(fixture, newInstallation()),
          terms: { customerName, model: 'perpetual', credentials: 5 },
        });
    // A character no license key carries: only the issuer's rules know it.
    const refused = await send('Acme\u0007 Bank');
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'ERR_TERMS_INVALID',
      field: 'customerName',
      message: 'terms: customerName must not contain control characters or line breaks',
    });
    expect(await fixture.issuer.listLicenses()).toEqual([]);
    // Other refusals carry no field.
    const other = await issuer.agent.get('/api/v1/licenses/lic_nope').expect(404);
    expect(other.body.error.field).toBeUndefined();
  });
});

describe('POST /challenges/issue: key sets for an offline installation (#11)', () => {
  const operator = CMS_OPERATOR;
  const kinds = (armoured: string) => armourBlocks(armoured).map((block) => block.kind);

  it('a format 2 challenge behind the key set gets the versions it lacks before the key, as the CLI prints them; the CMS applies the text whole', async () => {
    // The CMS shipped with the keys of the day; the vendor then rotates and activates a new
    // license key, which the CMS does not trust yet.
    const cms = await makeCms(fixture, 12);
    const next = await fixture.issuer.keys.rotate('license', 'alice');
    await fixture.issuer.keys.activate(next.kid, 'alice');
    const versions = await fixture.issuer.keys.keysets();
    const newest = versions.at(-1)!.seq;

    const { armoured: challenge } = await cms.createChallenge(operator, {
      credentials: 100,
      customerName: 'Acme Bank',
    });
    const ivan = await loginAs(fixture, 'ivan');
    const response = await issue(ivan, { challenge, terms: PERPETUAL_TERMS }).expect(201);
    const { keysets, armoured, licenseKey } = response.body as {
      keysets: string[];
      armoured: string;
      licenseKey: string;
    };
    // The same chain the issuer (and so `licensor-issuer issue --armour`) hands over.
    const direct = await fixture.issuer.issue(challenge, PERPETUAL_TERMS, 'ivan');
    expect(direct.replayed).toBe(true);
    expect(keysets).toEqual(direct.keysets);
    expect(keysets.length).toBeGreaterThan(0);
    expect(kinds(armoured)).toEqual([...keysets.map(() => 'keyset'), 'license']);
    expect(armourBlocks(armoured).map((block) => block.token)).toEqual([...keysets, licenseKey]);

    // The key alone is signed by a key the CMS does not trust: refused, nothing applied.
    await expect(cms.applyLicenseKey(operator, licenseKey)).rejects.toMatchObject({
      code: 'ERR_KID_UNKNOWN',
    });
    expect((await cms.getLicenseInfo(operator)).state).toBe('none');
    expect((await cms.getTrust(operator)).keysetVersion).toBe(0);
    // The armoured answer carries the trust it needs: applied in one paste.
    const applied = await cms.applyLicenseKey(operator, armoured);
    expect(applied.keysetVersion).toBe(newest);
    expect(applied.info).toMatchObject({ state: 'active', customer: 'Acme Bank' });

    // Asked again, the replayed answer carries the same bundle.
    const replayed = await issue(ivan, { challenge, terms: PERPETUAL_TERMS }).expect(201);
    expect(replayed.body).toMatchObject({ replayed: true, keysets, armoured });
  });

  it('a format 2 challenge at the newest version gets an empty list and the key alone', async () => {
    const newest = (await fixture.issuer.keys.keysets()).at(-1)!.seq;
    const ivan = await loginAs(fixture, 'ivan');
    const response = await issue(ivan, {
      challenge: makeChallenge(fixture, newInstallation(), { v: 2, keyset: newest }),
      terms: PERPETUAL_TERMS,
    }).expect(201);
    expect(response.body.keysets).toEqual([]);
    expect(kinds(response.body.armoured)).toEqual(['license']);
  });

  it('a version 1 challenge never gets key sets: no member, one LICENSE block', async () => {
    const next = await fixture.issuer.keys.rotate('license', 'alice');
    await fixture.issuer.keys.activate(next.kid, 'alice');
    const ivan = await loginAs(fixture, 'ivan');
    const response = await issue(ivan, {
      challenge: makeChallenge(fixture, newInstallation()),
      terms: PERPETUAL_TERMS,
    }).expect(201);
    expect(response.body).not.toHaveProperty('keysets');
    expect(kinds(response.body.armoured)).toEqual(['license']);
    expect(armourBlocks(response.body.armoured)[0]!.token).toBe(response.body.licenseKey);
  });
});

describe('security of state changes', () => {
  it('answers 401 ERR_UNAUTHENTICATED without a session', async () => {
    const response = await request(fixture.app)
      .post('/api/v1/challenges/issue')
      .send({ challenge: makeChallenge(fixture, newInstallation()), terms: PERPETUAL_TERMS })
      .expect(401);
    expect(response.body.error.code).toBe('ERR_UNAUTHENTICATED');
  });

  it('answers 403 ERR_FORBIDDEN to a viewer, and issues nothing', async () => {
    const viewer = await loginAs(fixture, 'vera');
    const response = await issue(viewer, {
      challenge: makeChallenge(fixture, newInstallation()),
      terms: PERPETUAL_TERMS,
    }).expect(403);
    expect(response.body.error.code).toBe('ERR_FORBIDDEN');
    expect(await fixture.issuer.listLicenses()).toEqual([]);
  });

  it('answers 403 ERR_CSRF_INVALID without the CSRF token, and issues nothing', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await issuer.agent
      .post('/api/v1/challenges/issue')
      .send({ challenge: makeChallenge(fixture, newInstallation()), terms: PERPETUAL_TERMS })
      .expect(403);
    expect(response.body.error.code).toBe('ERR_CSRF_INVALID');
    expect(await fixture.issuer.listLicenses()).toEqual([]);
  });

  it('refuses another session’s CSRF token', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const other = await loginAs(fixture, 'alice');
    const response = await issuer.agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', other.csrf)
      .send({ challenge: makeChallenge(fixture, newInstallation()), terms: PERPETUAL_TERMS })
      .expect(403);
    expect(response.body.error.code).toBe('ERR_CSRF_INVALID');
  });

  it('refuses a state change whose Origin is another site, even with the token', async () => {
    const issuer = await loginAs(fixture, 'ivan');
    const response = await issuer.agent
      .post('/api/v1/challenges/inspect')
      .set('X-CSRF-Token', issuer.csrf)
      .set('Origin', 'https://evil.example')
      .send({ challenge: makeChallenge(fixture, newInstallation()) })
      .expect(403);
    expect(response.body.error.code).toBe('ERR_CSRF_INVALID');
  });
});
