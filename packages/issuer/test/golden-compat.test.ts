// Tokens in customers' hands stay valid forever: the issuer is given the literal golden
// challenges of @licensor/token (what SDKs of each release already make), never challenges
// signed afresh by today's code. A version 1 challenge gets a version 1 key that the frozen build
// of the first release (token-v1.js, what installations in the field run) verifies against the
// issuer's exported JWKS; a version 2 challenge a version 2 key; a renewal keeps the version of
// the key it replaces; a challenge of a version no build knows is refused by name, before
// anything is written. On every store adapter (MongoDB with MONGODB_URI).

import { createPrivateKey, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { Keyring, type LicenseClaims, verifyLicense } from '@licensor/token';
import { afterEach, beforeEach, expect, it } from 'vitest';
import * as released from '../../token/test/releases/token-v1.js';
import { openIssuer } from '../src/domain/open-issuer.js';
import type { Issuer } from '../src/facade.js';
import type { Customer, Installation, License, TokenTransaction } from '../src/records.js';
import type { LicensorStore } from '../src/store/ports.js';
import { type Adapter, adapters, describeOn } from './support/adapters.js';
import { frozenClock } from './support/fixtures.js';

interface GoldenKey {
  kid: string;
  seed: string;
  publicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}
interface GoldenChallenge {
  token: string;
  hash: string;
  claims: Record<string, unknown> & { iat: number; jti: string };
}
interface GoldenLicense {
  token: string;
  claims: LicenseClaims;
}
const golden = createRequire(import.meta.url)('@licensor/token/golden') as {
  keys: { license: GoldenKey; installation: GoldenKey };
  challenge: GoldenChallenge;
  modelSwitchChallenge: GoldenChallenge;
  challengeV2: GoldenChallenge;
  license: GoldenLicense;
  subscriptionLicense: GoldenLicense;
};

const installation = golden.keys.installation;
/** Members a version 1 license never carries (LicenseClaims version 2 only). */
const V2_ONLY = ['plan', 'products', 'features', 'limits'];
/** The released build's keyring of the keys the issuer exports: what a v1 SDK trusts. */
const releasedTrust = async (issuer: Issuer) =>
  released.Keyring.fromJwks(await issuer.keys.exportJwks());
const currentTrust = async (issuer: Issuer) => Keyring.fromJwks(await issuer.keys.exportJwks());

/** Signs a challenge as given (no claim checks), with the golden installation key. */
function signRawChallenge(claims: object): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = { alg: 'EdDSA', typ: 'licensor-challenge+jwt', jwk: installation.publicJwk };
  const input = `${b64(header)}.${b64(claims)}`;
  const privateKey = createPrivateKey({
    format: 'jwk',
    key: {
      ...installation.publicJwk,
      d: Buffer.from(installation.seed, 'hex').toString('base64url'),
    },
  });
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/**
 * The golden license's history as the vendor's records hold it: issued for golden.challenge
 * (golden.license, perpetual), switched to a subscription for golden.modelSwitchChallenge
 * (golden.subscriptionLicense). Imported as already-signed transactions, as a migration would.
 */
function goldenHistory(): TokenTransaction[] {
  const first = golden.license.claims;
  const second = golden.subscriptionLicense.claims;
  const customer: Customer = {
    id: first.customer.id,
    name: first.customer.name,
    version: 1,
    createdAt: first.iat * 1000,
    updatedAt: first.iat * 1000,
  };
  const installationAt = (at: number): Installation => ({
    id: installation.kid,
    publicKey: installation.publicJwk,
    product: { name: 'CMS', version: '5.2.0' },
    firstSeenAt: first.iat * 1000,
    lastSeenAt: at,
  });
  const licenseAfter = (entry: GoldenLicense, seq: number, createdAt: number): License => ({
    id: entry.claims.lid,
    customerId: customer.id,
    customerName: entry.claims.customer.name,
    state: 'active',
    model: entry.claims.model,
    credentials: entry.claims.credentials,
    revision: entry.claims.rev,
    term: entry.claims.term,
    installationId: installation.kid,
    installationKey: installation.publicJwk,
    latestToken: entry.token,
    latestTransactionId: entry.claims.jti,
    stateReason: null,
    seq,
    createdAt,
    updatedAt: entry.claims.iat * 1000,
  });
  const common = {
    operator: 'alice',
    licenseId: first.lid,
    customerId: customer.id,
    installationId: installation.kid,
    requestId: null,
    kid: golden.keys.license.kid,
    reason: null,
    applied: false,
  };
  return [
    {
      ...common,
      id: first.jti,
      kind: 'issue',
      at: first.iat * 1000,
      seq: 1,
      revision: first.rev,
      challengeHash: golden.challenge.hash,
      challengeId: golden.challenge.claims.jti,
      terms: { customerName: customer.name, model: 'perpetual', credentials: first.credentials },
      token: golden.license.token,
      licenseAfter: licenseAfter(golden.license, 1, first.iat * 1000),
      customerAfter: customer,
      installationAfter: installationAt(first.iat * 1000),
    },
    {
      ...common,
      id: second.jti,
      kind: 'model-switch',
      at: second.iat * 1000,
      seq: 2,
      revision: second.rev,
      challengeHash: golden.modelSwitchChallenge.hash,
      challengeId: golden.modelSwitchChallenge.claims.jti,
      terms: {
        customerName: customer.name,
        model: 'subscription',
        credentials: second.credentials,
        termDays: 365,
        graceDays: 14,
      },
      token: golden.subscriptionLicense.token,
      licenseAfter: licenseAfter(golden.subscriptionLicense, 2, first.iat * 1000),
      customerAfter: null,
      installationAfter: installationAt(second.iat * 1000),
    },
  ];
}

function goldenCompatSuite(adapter: Adapter): void {
  const clock = frozenClock();
  let store: LicensorStore;
  let issuer: Issuer;

  beforeEach(async () => {
    // Opened (and its keys made) at the golden challenge's time, a minute after it was made.
    clock.set(golden.challenge.claims.iat * 1000 + 60_000);
    store = await (await adapter.create()).open();
    issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
  });
  afterEach(async () => {
    await store.close();
    await adapter.cleanup();
  });

  it('inspects the golden version 1 challenge and answers it with a version 1 key the released v1 build verifies', async () => {
    const inspection = await issuer.inspect(golden.challenge.token, 'alice');
    expect(inspection).toMatchObject({
      challengeId: golden.challenge.claims.jti,
      challengeHash: golden.challenge.hash,
      installationId: installation.kid,
      installationKey: installation.publicJwk,
      expired: false,
      claimedLicense: null,
      asked: golden.challenge.claims.request,
      entitlements: { tokenVersion: 1 },
    });

    const result = await issuer.issue(
      golden.challenge.token,
      { customerName: 'Acme Corporation', model: 'perpetual', credentials: 100 },
      'alice',
    );
    const v1 = released.verifyLicense(result.token, await releasedTrust(issuer));
    // The golden license's shape: what make-golden.mjs signed for this very challenge.
    expect(v1.claims).toEqual({
      ...golden.license.claims,
      jti: result.transaction.id,
      lid: result.license.id,
      iat: golden.challenge.claims.iat + 60,
      customer: { id: result.license.customerId, name: 'Acme Corporation' },
    });
    expect(v1.claims.chal).toBe(golden.challenge.hash);
    for (const member of V2_ONLY) expect(v1.claims).not.toHaveProperty(member);
    expect(verifyLicense(result.token, await currentTrust(issuer)).claims).toEqual(v1.claims);
  });

  it('renews the license of the golden version 1 challenge with a version 1 key', async () => {
    const issued = await issuer.issue(
      golden.challenge.token,
      {
        customerName: 'Acme Corporation',
        model: 'subscription',
        credentials: 100,
        termDays: 30,
        graceDays: 14,
      },
      'alice',
    );
    expect(released.verifyLicense(issued.token, await releasedTrust(issuer)).claims).toMatchObject({
      v: 1,
      rev: 1,
      chal: golden.challenge.hash,
      model: 'subscription',
    });
    clock.advance(20 * 86_400_000);
    const renewed = await issuer.renew(issued.license.id, { termDays: 365 }, 'alice');
    const { claims } = released.verifyLicense(renewed.token, await releasedTrust(issuer));
    expect(claims).toMatchObject({
      v: 1,
      lid: issued.license.id,
      rev: 2,
      chal: null,
      sub: installation.kid,
    });
    for (const member of V2_ONLY) expect(claims).not.toHaveProperty(member);
  });

  it('answers the golden version 2 challenge for the golden license with a version 2 key', async () => {
    await store.importTransactions(goldenHistory());
    const goldenId = golden.license.claims.lid;
    expect((await issuer.getLicense(goldenId))?.license).toMatchObject({
      revision: 2,
      model: 'subscription',
      installationId: installation.kid,
      latestToken: golden.subscriptionLicense.token,
    });
    clock.set(golden.challengeV2.claims.iat * 1000 + 60_000);

    const inspection = await issuer.inspect(golden.challengeV2.token, 'alice');
    expect(inspection).toMatchObject({
      challengeHash: golden.challengeV2.hash,
      installationId: installation.kid,
      expired: false,
      license: { id: goldenId, revision: 2 },
      entitlements: { tokenVersion: 2 },
    });
    expect(inspection.findings.map((f) => f.kind)).not.toContain('revision-ahead');

    const result = await issuer.issue(
      golden.challengeV2.token,
      {
        customerName: 'Acme Corporation',
        model: 'subscription',
        credentials: 100,
        features: ['mobile-credentials'],
        limits: [{ name: 'sites', value: 5 }],
      },
      'alice',
    );
    const { claims } = verifyLicense(result.token, await currentTrust(issuer));
    expect(claims).toMatchObject({
      v: 2,
      lid: goldenId,
      rev: 3,
      sub: installation.kid,
      chal: golden.challengeV2.hash,
      model: 'subscription',
      credentials: 100,
      features: [{ name: 'mobile-credentials' }],
      limits: [{ name: 'sites', value: 5 }],
    });
    // An SDK of the first release refuses it by name (it asked with a version 2 challenge).
    const trust = await releasedTrust(issuer);
    expect(() => released.verifyLicense(result.token, trust)).toThrow(
      expect.objectContaining({ code: 'ERR_VERSION_UNSUPPORTED', version: 2 }),
    );
  });

  it('renews the imported golden version 1 license with a version 1 key', async () => {
    await store.importTransactions(goldenHistory());
    clock.set(golden.subscriptionLicense.claims.iat * 1000 + 86_400_000);
    const renewed = await issuer.renew(golden.license.claims.lid, { termDays: 365 }, 'alice');
    const { claims } = released.verifyLicense(renewed.token, await releasedTrust(issuer));
    expect(claims).toMatchObject({
      v: 1,
      lid: golden.license.claims.lid,
      rev: 3,
      chal: null,
      customer: golden.subscriptionLicense.claims.customer,
      model: 'subscription',
    });
    for (const member of V2_ONLY) expect(claims).not.toHaveProperty(member);
  });

  it('refuses a version 3 challenge with ERR_VERSION_UNSUPPORTED naming 3, and writes nothing', async () => {
    const v3 = signRawChallenge({ ...golden.challenge.claims, v: 3 });
    const counts = async () => ({
      licenses: (await issuer.listLicenses()).length,
      transactions: (await issuer.listTransactions()).length,
      audit: (await issuer.listAuditEvents({ limit: 1000 })).length,
      requests: (await issuer.listRequests()).length,
      installation: await store.getInstallation(installation.kid),
    });
    const before = await counts();
    expect(before.audit).toBeGreaterThan(0);
    const refusal = {
      code: 'ERR_VERSION_UNSUPPORTED',
      version: 3,
      message: expect.stringMatching(/challenge format version 3 .*update Licensor$/),
    };
    await expect(issuer.inspect(v3, 'alice')).rejects.toMatchObject(refusal);
    await expect(
      issuer.issue(
        v3,
        { customerName: 'Acme Corporation', model: 'perpetual', credentials: 100 },
        'alice',
      ),
    ).rejects.toMatchObject(refusal);
    expect(await counts()).toEqual({ ...before, licenses: 0, transactions: 0, installation: null });
  });
}

for (const adapter of adapters()) {
  describeOn(adapter, `golden tokens at the issuer on the ${adapter.name} store`, () =>
    goldenCompatSuite(adapter),
  );
}
