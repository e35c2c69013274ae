// The portal with the license key in SoftHSM2: an admin rotates the license key into the HSM
// through the API, an issuer issues through the API, and the SDK applies the key. When the HSM
// cannot sign, issuing answers 503 with the HSM's typed error, and nothing is stored.
// Skipped where SoftHSM2 is absent; required when LICENSOR_REQUIRE_SOFTHSM=1 (CI).

import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createSoftHsm, HSM_ERROR_CODES, type SoftHsm, softHsmSkipReason } from '@licensor/issuer';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codeToStatus } from '../src/server/http/code-to-status.js';
import {
  type Fixture,
  loginAs,
  makeChallenge,
  makeCms,
  makePortal,
  newInstallation,
  CMS_OPERATOR as operator,
} from './helpers.js';

const skip = softHsmSkipReason();

it('answers 503 for every HSM failure: the server cannot sign now, the request was fine', () => {
  for (const code of HSM_ERROR_CODES) expect(codeToStatus(code), code).toBe(503);
});

describe.skipIf(skip !== null)('the portal with the license key in SoftHSM2', () => {
  let hsm: SoftHsm;
  let fixture: Fixture;
  let tokenFolder: string;
  const saved = { ...process.env };

  beforeAll(() => {
    hsm = createSoftHsm();
    const folders = join(hsm.dir, 'tokens');
    const before = new Set(readdirSync(folders));
    Object.assign(process.env, hsm.env('portal', hsm.initToken('portal', '4711')));
    tokenFolder = join(folders, readdirSync(folders).find((name) => !before.has(name))!);
  });
  afterAll(() => {
    process.env = saved;
    hsm?.remove();
  });
  beforeEach(async () => {
    fixture = await makePortal();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('rotates into the HSM, issues through the API, and the SDK applies the key; then 503 when the token is gone', async () => {
    const admin = await loginAs(fixture, 'alice');
    const rotated = await admin.agent
      .post('/api/v1/keys/rotate')
      .set('X-CSRF-Token', admin.csrf)
      .send({ purpose: 'license', hsm: true })
      .expect(201);
    expect(rotated.body).toMatchObject({
      purpose: 'license',
      status: 'next',
      protection: 'pkcs11',
      hsm: { token: 'portal', label: expect.stringMatching(/^licensor-license-/) },
    });
    // A next key is trusted first; activating it makes it sign.
    await admin.agent
      .post(`/api/v1/keys/${rotated.body.kid}/activate`)
      .set('X-CSRF-Token', admin.csrf)
      .send({})
      .expect(200);

    const cms = await makeCms(fixture, 12);
    const { armoured } = await cms.createChallenge(operator, {
      credentials: 120,
      customerName: 'Bank of Tests',
    });
    const ivan = await loginAs(fixture, 'ivan');
    const issued = await ivan.agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', ivan.csrf)
      .send({
        challenge: armoured,
        terms: { customerName: 'Bank of Tests', model: 'perpetual', credentials: 120 },
      })
      .expect(201);
    const key = issued.body.licenseKey as string;
    const header = JSON.parse(Buffer.from(key.split('.')[0]!, 'base64url').toString());
    expect(header.kid).toBe(rotated.body.kid);
    const applied = await cms.applyLicenseKey(operator, key);
    expect(applied.info).toMatchObject({
      state: 'active',
      customer: 'Bank of Tests',
      credentials: 120,
    });

    // The token is pulled out of the HSM: the next issue is 503 and stores nothing.
    const licensesBefore = await fixture.issuer.listLicenses();
    const transactionsBefore = await fixture.issuer.listTransactions();
    renameSync(tokenFolder, join(hsm.dir, 'pulled-out'));
    const refused = await ivan.agent
      .post('/api/v1/challenges/issue')
      .set('X-CSRF-Token', ivan.csrf)
      .send({
        challenge: makeChallenge(fixture, newInstallation()),
        terms: { customerName: 'Refused Ltd', model: 'perpetual', credentials: 5 },
      })
      .expect(503);
    expect(refused.body.error).toMatchObject({
      code: 'ERR_HSM_TOKEN_MISSING',
      message: expect.stringContaining('"portal" is not present'),
    });
    expect(await fixture.issuer.listLicenses()).toEqual(licensesBefore);
    expect(await fixture.issuer.listTransactions()).toEqual(transactionsBefore);
    expect((await fixture.issuer.listCustomers()).map((c) => c.name)).not.toContain('Refused Ltd');
  });
});
