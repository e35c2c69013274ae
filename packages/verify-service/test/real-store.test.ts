// The service on the real shared store (SQLite; MongoDB too when MONGODB_URI is set), with
// licenses issued, renewed and revoked by the issuer: what the vendor does in the portal shows
// up in the next check, and every check lands in the store's check records.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openCheckStore } from '@licensor/issuer/checks';
import { openStore } from '@licensor/issuer/store';
import { Keyring, signCheck, verifyLicense, verifyStatus } from '@licensor/token';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifyService } from '../src/service.js';
import { postCheck } from './support/http.js';
import {
  type IssuerFixture,
  issueLicense,
  openIssuerFixture,
  passphrase,
  storeKinds,
} from './support/issuer-store.js';

const kinds = storeKinds;
if (!kinds.includes('mongo'))
  console.info(
    'verify-service real-store tests: MongoDB skipped; set MONGODB_URI (scripts/ferretdb.sh) to run them',
  );

function check(licenseId: string, rev: number, installation: Parameters<typeof signCheck>[1]) {
  return signCheck(
    {
      v: 1,
      iat: Math.floor(Date.now() / 1000),
      nonce: randomBytes(16).toString('base64url'),
      lid: licenseId,
      rev,
      sdk: '0.1.0',
      product: { name: 'CMS', version: '5.2.0' },
      usage: { credentialsInUse: 3 },
    },
    installation,
  );
}

describe.each(kinds)('on the %s store', (kind) => {
  let fixture: IssuerFixture | undefined;
  afterEach(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });

  async function setup() {
    fixture = await openIssuerFixture(kind);
    const statusKeys = await fixture.store.loadStatusSigningKeys(passphrase);
    const service = createVerifyService({
      store: fixture.store,
      statusKeys,
      logger: pino({ level: 'silent' }),
      config: { viewCacheTtlMs: 0 },
    });
    const keyring = Keyring.fromJwks(await fixture.issuer.keys.exportJwks());
    return { fixture, service, statusKeys, keyring };
  }

  it('answers VALID for an issued license with a status the published JWKS verifies', async () => {
    const { fixture, service, keyring } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const answer = await postCheck(service.app, check(licenseId, 1, installation));
    const status = verifyStatus(answer.text, keyring);
    expect(status.claims).toMatchObject({
      outcome: 'VALID',
      lid: licenseId,
      sub: installation.kid,
      rev: 1,
      license: null,
    });
    expect(status.claims.termEnd).toBeGreaterThan(Date.now() / 1000);
  });

  it('is given status keys only: none of them is a license-purpose key', async () => {
    const { fixture, statusKeys } = await setup();
    const jwks = await fixture.issuer.keys.exportJwks();
    const licenseKids = jwks.keys.filter((k) => k.purpose === 'license').map((k) => k.kid);
    expect(statusKeys.length).toBeGreaterThan(0);
    for (const key of statusKeys) expect(licenseKids).not.toContain(key.kid);
  });

  it('hands over the renewal token the issuer stored, and REVOKED once revoked', async () => {
    const { fixture, service, keyring } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    await fixture.issuer.renew(licenseId, { termDays: 365 }, 'vendor');
    const renewed = verifyStatus(
      (await postCheck(service.app, check(licenseId, 1, installation))).text,
      keyring,
    ).claims;
    expect(renewed.rev).toBe(2);
    expect(verifyLicense(renewed.license!, keyring).claims).toMatchObject({
      lid: licenseId,
      rev: 2,
      sub: installation.kid,
    });

    await fixture.issuer.revoke(licenseId, 'vendor', 'contract ended');
    const revoked = verifyStatus(
      (await postCheck(service.app, check(licenseId, 2, installation))).text,
      keyring,
    ).claims;
    expect(revoked).toMatchObject({ outcome: 'REVOKED', license: null });
  });

  it('records each check in the store, where the issuer lists it', async () => {
    const { fixture, service } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    await postCheck(service.app, check(licenseId, 1, installation));
    await fixture.issuer.suspend(licenseId, 'vendor');
    await postCheck(service.app, check(licenseId, 1, installation));
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    const checks = await fixture.issuer.listChecks(licenseId);
    expect(checks.map((c) => c.outcome).sort()).toEqual(['SUSPENDED', 'VALID']);
    expect(checks[0]).toMatchObject({
      installationId: installation.kid,
      sdkVersion: '0.1.0',
      credentialsInUse: 3,
    });
  });

  it('records the key set version a version 2 check reports, per installation; a version never published is answered and not recorded (#11)', async () => {
    const { fixture, service, keyring } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const v2 = (keyset: number) =>
      signCheck(
        {
          v: 2,
          iat: Math.floor(Date.now() / 1000),
          nonce: randomBytes(16).toString('base64url'),
          lid: licenseId,
          rev: 1,
          sdk: '0.2.0',
          product: { name: 'CMS', version: '5.2.0' },
          usage: { credentialsInUse: 3 },
          keyset,
        },
        installation,
      );
    const newest = (await fixture.issuer.keys.keysets()).at(-1)!.seq;
    await postCheck(service.app, v2(newest));
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    const reported = await fixture.store.keyUsage.getKeysetReport(installation.kid);
    expect(reported).toMatchObject({ keyset: newest, source: 'check' });
    // A version the vendor never published: the check is answered, the report stays as it was.
    const answer = await postCheck(service.app, v2(newest + 5));
    expect(verifyStatus(answer.text, keyring).claims.outcome).toBe('VALID');
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    expect(await fixture.store.keyUsage.getKeysetReport(installation.kid)).toEqual(reported);
    expect((await fixture.issuer.keys.usage()).installationsOnNewest).toBe(1);
  });

  it('records the license revision a check reports holding; a revision the license does not have is answered and not recorded', async () => {
    const { fixture, service } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const held = () => fixture.store.keyUsage.getHeldRevision(licenseId, installation.kid);
    expect((await postCheck(service.app, check(licenseId, 1, installation))).status).toBe(200);
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    const first = await held();
    expect(first).toMatchObject({ licenseId, installationId: installation.kid, revision: 1 });
    // A claim of a revision the license does not have is answered and not recorded.
    expect((await postCheck(service.app, check(licenseId, 7, installation))).status).toBe(200);
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    expect(await held()).toEqual(first);
  });

  it('refuses a check replayed after a restart on the same store, and records nothing for it', async () => {
    const { fixture, service } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const token = check(licenseId, 1, installation);
    expect((await postCheck(service.app, token)).status).toBe(200);
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    // The process stops: its store handle closes, its replay set in memory is gone.
    await fixture.store.close();

    const reopened = await openCheckStore({
      dataDir: fixture.dataDir,
      ...(fixture.mongoUri === undefined ? {} : { mongoUri: fixture.mongoUri }),
      env: { LICENSOR_STATUS_KEY_PASSPHRASE: passphrase },
    });
    try {
      const restarted = createVerifyService({
        store: reopened,
        statusKeys: await reopened.loadStatusSigningKeys(),
        logger: pino({ level: 'silent' }),
        config: { viewCacheTtlMs: 0 },
      });
      const replay = await postCheck(restarted.app, token);
      expect(replay.status).toBe(400);
      expect(JSON.parse(replay.text).error.code).toBe('ERR_CHECK_REPLAYED');
      // A new check of the same installation is answered as before.
      expect((await postCheck(restarted.app, check(licenseId, 1, installation))).status).toBe(200);
      expect(await restarted.drain(Date.now() + 5_000)).toBe(0);
    } finally {
      await reopened.close();
    }

    // One record per answered check: none for the replay.
    const store = await openStore({
      dataDir: fixture.dataDir,
      ...(fixture.mongoUri === undefined ? {} : { mongoUri: fixture.mongoUri }),
    });
    try {
      expect((await store.listChecks(licenseId)).map((c) => c.outcome)).toEqual(['VALID', 'VALID']);
    } finally {
      await store.close();
    }
  });

  it("holds an off-clock check's nonce under its own signed iat on the shared store; a version 1 check off the clock is refused and holds nothing", async () => {
    const { fixture, service, statusKeys } = await setup();
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const hourAgo = Math.floor(Date.now() / 1000) - 3_600;
    const claims = (v: 1 | 2) => ({
      v,
      iat: hourAgo,
      nonce: randomBytes(16).toString('base64url'),
      lid: licenseId,
      rev: 1,
      sdk: '0.1.0',
      product: { name: 'CMS', version: '5.2.0' },
      usage: { credentialsInUse: 3 },
    });
    const stale = claims(1);
    const refused = await postCheck(service.app, signCheck(stale, installation));
    expect(JSON.parse(refused.text).error.code).toBe('ERR_CHECK_TIME_SKEW');
    // Version 2 is answered whatever its clock, its nonce held 30 days under the iat it signed
    // (SQLite keys the window by it since migration 21): a replay to another instance, whose
    // own replay guard has never seen it, is refused by the store, not admitted under a new key.
    const offClock = claims(2);
    const token = signCheck(offClock, installation);
    expect((await postCheck(service.app, token)).status).toBe(200);
    const other = createVerifyService({
      store: fixture.store,
      statusKeys,
      logger: pino({ level: 'silent' }),
      config: { viewCacheTtlMs: 0 },
    });
    expect(JSON.parse((await postCheck(other.app, token)).text).error.code).toBe(
      'ERR_CHECK_REPLAYED',
    );
    if (kind === 'sqlite') {
      const db = new Database(join(fixture.dataDir, 'licensor.db'), { readonly: true });
      try {
        const held = db
          .prepare('SELECT iat, nonce, expires_at FROM check_nonces WHERE installation_id = ?')
          .all(installation.kid) as { iat: number; nonce: string; expires_at: number }[];
        expect(held.map(({ iat, nonce }) => ({ iat, nonce }))).toEqual([
          { iat: hourAgo, nonce: offClock.nonce },
        ]);
        expect(held[0]!.expires_at).toBeGreaterThan(Date.now() + 29 * 86_400_000);
      } finally {
        db.close();
      }
    }
  });

  it('answers UNKNOWN alike for an unknown license and one bound to another installation', async () => {
    const { fixture, service, keyring } = await setup();
    const first = await issueLicense(fixture.issuer);
    const second = await issueLicense(fixture.issuer);
    const elsewhere = verifyStatus(
      (await postCheck(service.app, check(first.licenseId, 1, second.installation))).text,
      keyring,
    ).claims;
    const unknown = verifyStatus(
      (
        await postCheck(
          service.app,
          check(`lic_${randomBytes(16).toString('base64url')}`, 1, second.installation),
        )
      ).text,
      keyring,
    ).claims;
    expect(elsewhere).toMatchObject({
      outcome: 'UNKNOWN',
      rev: null,
      termEnd: null,
      license: null,
    });
    expect(unknown).toMatchObject({ outcome: 'UNKNOWN', rev: null, termEnd: null, license: null });
  });

  it.runIf(kind === 'sqlite')(
    'is unready when the store has lost its tables, as its checks are (#16.5)',
    async () => {
      const { fixture, service } = await setup();
      const { installation, licenseId } = await issueLicense(fixture.issuer);
      expect((await request(service.app).get('/readyz')).status).toBe(200);

      const db = new Database(join(fixture.dataDir, 'licensor.db'));
      db.exec('DROP TABLE licenses');
      db.close();
      const answer = await postCheck(service.app, check(licenseId, 1, installation));
      expect(answer.status).toBe(503);
      const ready = await request(service.app).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.code).toBe('ERR_STORE_UNAVAILABLE');
    },
  );
});
