// check.failed end to end through the check role: the service, holding only what
// `openCheckStore` hands it, records the refused checks of a license that exists as facts in
// the shared store; the issuer side's event watch turns them into webhook events in the
// outbox. A flood of forged checks from two service instances makes one event per reason and
// hour, and checks naming no license make none.
import { randomBytes } from 'node:crypto';
import { EventWatch } from '@licensor/issuer';
import { openCheckStore } from '@licensor/issuer/checks';
import { type Ed25519KeyPair, generateKeyPair, signCheck } from '@licensor/token';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifyService } from '../src/service.js';
import { signRaw } from './support/fixtures.js';
import { postCheck } from './support/http.js';
import {
  type IssuerFixture,
  issueLicense,
  openIssuerFixture,
  passphrase,
  storeKinds,
} from './support/issuer-store.js';

const kinds = storeKinds;

function claims(licenseId: string) {
  return {
    v: 1 as const,
    iat: Math.floor(Date.now() / 1000),
    nonce: randomBytes(16).toString('base64url'),
    lid: licenseId,
    rev: 1,
    sdk: '0.1.0',
    product: { name: 'CMS', version: '5.2.0' },
    usage: { credentialsInUse: 3 },
  };
}

describe.each(kinds)('check.failed on the %s store', (kind) => {
  let fixture: IssuerFixture | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await fixture?.cleanup();
    fixture = undefined;
  });

  async function serviceInstance(f: IssuerFixture) {
    const store = await openCheckStore({
      dataDir: f.dataDir,
      ...(f.mongoUri === undefined ? {} : { mongoUri: f.mongoUri }),
      env: { LICENSOR_STATUS_KEY_PASSPHRASE: passphrase },
    });
    closers.push(() => store.close());
    const service = createVerifyService({
      store,
      statusKeys: await store.loadStatusSigningKeys(),
      logger: pino({ level: 'silent' }),
      config: {
        viewCacheTtlMs: 0,
        rateLimitPerIp: { burst: 10_000, perSecond: 10_000 },
        rateLimitPerInstallation: { burst: 10_000, perSecond: 10_000 },
      },
    });
    return service;
  }

  it('records refusals through the check role; the watch makes one event per reason', async () => {
    fixture = await openIssuerFixture(kind);
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const [one, two] = [await serviceInstance(fixture), await serviceInstance(fixture)];
    const stranger: Ed25519KeyPair = generateKeyPair();
    const header = { alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installation.kid };
    for (let i = 0; i < 10; i++) {
      const forged = signRaw(header, claims(licenseId), stranger);
      const answer = await postCheck(i % 2 === 0 ? one.app : two.app, forged);
      expect(answer.status).toBe(400);
    }
    // Another installation's check of this license: answered UNKNOWN, and recorded.
    expect((await postCheck(one.app, signCheck(claims(licenseId), stranger))).status).toBe(200);
    // A license nobody issued: nothing recorded.
    await postCheck(two.app, signCheck(claims('lic_nobody_issued_this'), stranger));
    // A good check: nothing recorded either.
    expect((await postCheck(one.app, signCheck(claims(licenseId), installation))).status).toBe(200);
    for (const service of [one, two]) await service.drain(Date.now() + 5_000);

    const watch = new EventWatch({ store: fixture.store });
    expect(await watch.convertCheckFailures()).toBe(2);
    const events = (await fixture.store.automation.listUnfannedOutboxEvents(100)).filter(
      (e) => e.type === 'check.failed',
    );
    expect(events.map((e) => e.data.reason).sort()).toEqual([
      'ERR_SIGNATURE_INVALID',
      'UNKNOWN_INSTALLATION',
    ]);
    expect(events.find((e) => e.data.reason === 'UNKNOWN_INSTALLATION')?.data).toMatchObject({
      licenseId,
      installationId: installation.kid,
      checkedBy: stranger.kid,
      customerName: 'Acme',
    });
    // Run again (another portal process): nothing new.
    expect(await new EventWatch({ store: fixture.store }).convertCheckFailures()).toBe(0);
  });
});
