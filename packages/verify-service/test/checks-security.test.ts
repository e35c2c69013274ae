// POST /v1/checks against a hostile caller: replays, requests signed by another installation,
// forged key ids, probing for license ids, and the separation of status keys from license keys.
import { generateKeyPair, Keyring, verifyLicense, verifyStatus } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import {
  checkClaims,
  checkToken,
  installationA,
  installationB,
  licenseKey,
  signRaw,
  statusKey,
  T0,
  T0s,
  targets,
  testService,
} from './support/fixtures.js';
import { errorOf, postCheck, statusOf } from './support/http.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe.each(targets)('POST /v1/checks security (%s)', (_name, target) => {
  it('refuses a replayed request, even for a license whose answer would not change', async () => {
    const { service } = testService();
    const token = checkToken();
    expect((await postCheck(target(service), token)).status).toBe(200);
    const replay = await postCheck(target(service), token);
    expect(replay.status).toBe(400);
    expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
  });

  it('refuses a replay after the window as stale, once the nonce could be forgotten', async () => {
    const { service, clock } = testService();
    const token = checkToken();
    await postCheck(target(service), token);
    clock.now = T0 + 301_000;
    expect(errorOf(await postCheck(target(service), token)).code).toBe('ERR_CHECK_TIME_SKEW');
  });

  it('answers UNKNOWN to a well-signed request from another installation', async () => {
    const { service, store } = testService();
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_valid' }, installationB)),
    );
    expect(status.outcome).toBe('UNKNOWN');
    await service.recorder.flush();
    expect(store.records).toHaveLength(0);
  });

  it("refuses a request naming the bound installation but signed by another's key", async () => {
    const { service } = testService();
    const header = { alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installationA.kid };
    const forged = signRaw(header, checkClaims(), installationB);
    const answer = await postCheck(target(service), forged);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('refuses a check whose claims were changed after signing, and keeps nothing of it', async () => {
    const { service, store } = testService();
    const nonce = 'DDDDDDDDDDDDDDDDDDDDDA';
    const genuine = checkToken({ nonce });
    // The same header and signature around claims that say something else: the service reads
    // the claims once and checks the signature over what it read (#15.5), so this must fail.
    const [header, , signature] = genuine.split('.');
    const changed = Buffer.from(
      JSON.stringify(checkClaims({ nonce, usage: { credentialsInUse: 499 } })),
    ).toString('base64url');
    const answer = await postCheck(target(service), `${header}.${changed}.${signature}`);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_SIGNATURE_INVALID');
    await service.recorder.flush();
    expect(store.records).toHaveLength(0);
    // Its nonce was not taken: the genuine check is answered, and recorded as it was signed.
    expect(statusOf(await postCheck(target(service), genuine)).outcome).toBe('VALID');
    await service.recorder.flush();
    expect(store.records.map((record) => record.credentialsInUse)).toEqual([42]);
  });

  it('refuses a replay re-dated to reach a nonce key of its own, before its nonce is taken', async () => {
    const { service } = testService();
    const genuine = checkToken();
    expect((await postCheck(target(service), genuine)).status).toBe(200);
    // The SQLite store keys a nonce by the check's iat first (#15), so a replay with its iat moved
    // by a second would meet a key of its own there. The iat is trusted as part of the key
    // because it is signed: a bound check's nonce is admitted only once the signature holds over
    // the claims read, and the re-dated replay fails it.
    const [header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { iat: number };
    const redated = Buffer.from(JSON.stringify({ ...claims, iat: claims.iat + 1 })).toString(
      'base64url',
    );
    const answer = await postCheck(target(service), `${header}.${redated}.${signature}`);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_SIGNATURE_INVALID');
    expect(errorOf(await postCheck(target(service), genuine)).code).toBe('ERR_CHECK_REPLAYED');
  });

  it('refuses a header that carries its own key (jwk) instead of a kid', async () => {
    const { service } = testService();
    const header = {
      alg: 'EdDSA',
      typ: 'licensor-check+jwt',
      kid: installationB.kid,
      jwk: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from(installationB.publicKey).toString('base64url'),
      },
    };
    const answer = await postCheck(target(service), signRaw(header, checkClaims(), installationB));
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_JWS_HEADER_FORBIDDEN');
  });

  it('gives an unknown license and a license bound elsewhere the same answer', async () => {
    const { service } = testService();
    const nonce = 'BBBBBBBBBBBBBBBBBBBBBA';
    const unknown = await postCheck(
      target(service),
      checkToken({ lid: 'lic_vaaid', nonce }, installationB),
    );
    const elsewhere = await postCheck(
      target(service),
      checkToken({ lid: 'lic_valid', nonce: 'CCCCCCCCCCCCCCCCCCCCCA' }, installationB),
    );
    expect(unknown.status).toBe(elsewhere.status);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(elsewhere.headers).sort());
    expect(unknown.text.length).toBe(elsewhere.text.length);
    const a = statusOf(unknown);
    const b = statusOf(elsewhere);
    expect({ ...a, lid: '', nonce: '' }).toEqual({ ...b, lid: '', nonce: '' });
  });

  it('reads the store for an unknown license once per cache period, as for a known one', async () => {
    const { service, store } = testService();
    await postCheck(target(service), checkToken({ lid: 'lic_nosuch' }));
    await postCheck(target(service), checkToken({ lid: 'lic_nosuch' }));
    await postCheck(target(service), checkToken({ lid: 'lic_valid' }));
    await postCheck(target(service), checkToken({ lid: 'lic_valid' }));
    expect(store.reads).toBe(2);
  });

  it('signs statuses that verify only with a status-purpose key', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), checkToken());
    expect(
      verifyStatus(answer.text, Keyring.of([{ publicKey: statusKey.publicKey, purpose: 'status' }]))
        .kid,
    ).toBe(statusKey.kid);
    const asLicenseKey = Keyring.of([{ publicKey: statusKey.publicKey, purpose: 'license' }]);
    expect(codeOf(() => verifyStatus(answer.text, asLicenseKey))).toBe('ERR_KEY_WRONG_PURPOSE');
    expect(codeOf(() => verifyLicense(answer.text, asLicenseKey))).toBe('ERR_JWS_TYP_INVALID');
    const licenseOnly = Keyring.of([{ publicKey: licenseKey.publicKey, purpose: 'license' }]);
    expect(codeOf(() => verifyStatus(answer.text, licenseOnly))).toBe('ERR_KID_UNKNOWN');
  });

  it('relays the license token byte for byte: it still verifies only with the license key', async () => {
    const { service } = testService();
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_renewed', rev: 1 })),
    );
    const relayed = status.license!;
    const licenseOnly = Keyring.of([{ publicKey: licenseKey.publicKey, purpose: 'license' }]);
    expect(verifyLicense(relayed, licenseOnly).claims).toMatchObject({
      lid: 'lic_renewed',
      rev: 2,
      sub: installationA.kid,
    });
    const statusOnly = Keyring.of([{ publicKey: statusKey.publicKey, purpose: 'status' }]);
    expect(codeOf(() => verifyLicense(relayed, statusOnly))).toBe('ERR_KID_UNKNOWN');
  });

  it('never hands a newer token to an installation the license is not bound to', async () => {
    const { service } = testService();
    const status = statusOf(
      await postCheck(target(service), checkToken({ lid: 'lic_renewed', rev: 1 }, installationB)),
    );
    expect(status).toMatchObject({ outcome: 'UNKNOWN', license: null });
  });

  it('applies a revocation within the cache TTL, the documented bound', async () => {
    const { service, store, clock } = testService({ viewCacheTtlMs: 5_000 });
    expect(statusOf(await postCheck(target(service), checkToken({ iat: T0s }))).outcome).toBe(
      'VALID',
    );
    store.update('lic_valid', { state: 'revoked' });
    clock.now = T0 + 4_999;
    expect(statusOf(await postCheck(target(service), checkToken({ iat: T0s }))).outcome).toBe(
      'VALID',
    );
    clock.now = T0 + 5_000;
    expect(statusOf(await postCheck(target(service), checkToken({ iat: T0s + 5 }))).outcome).toBe(
      'REVOKED',
    );
  });

  it('refuses an oversized body before reading it', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), `${checkToken()}${'A'.repeat(9000)}`);
    expect(answer.status).toBe(413);
    expect(errorOf(answer).code).toBe('ERR_BODY_TOO_LARGE');
  });
});

describe('status key rotation', () => {
  it('signs with the new active key once the keys are replaced, and keeps the old on an empty list', async () => {
    const { service } = testService();
    const rotated = generateKeyPair();
    service.setStatusKeys([rotated, statusKey]);
    const answer = await postCheck(service.app, checkToken());
    const kid = JSON.parse(Buffer.from(answer.text.split('.')[0]!, 'base64url').toString()).kid;
    expect(kid).toBe(rotated.kid);
    expect(codeOf(() => service.setStatusKeys([]))).toBe('ERR_NO_STATUS_KEY');
    const after = await postCheck(service.app, checkToken());
    expect(JSON.parse(Buffer.from(after.text.split('.')[0]!, 'base64url').toString()).kid).toBe(
      rotated.kid,
    );
  });
});

describe.each(targets)('POST /v1/checks far off the clock (%s)', (_name, target) => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** A check naming no license, with a signature nobody checks (the UNKNOWN path's). */
  const unsigned = (claims: object) =>
    `${b64({ alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installationB.kid })}.${b64(claims)}.AAAA`;

  it('refuses a version 2 check made more than ten years off, before anything is stored', async () => {
    const { service, store } = testService();
    const heads = JSON.stringify([...store.chains.heads]);
    for (const iat of [0, T0s + 11 * 366 * 86_400]) {
      const bound = await postCheck(target(service), checkToken({ v: 2, iat }));
      expect(bound.status).toBe(400);
      expect(errorOf(bound).code).toBe('ERR_CHECK_TIME_SKEW');
      const forged = await postCheck(
        target(service),
        unsigned(checkClaims({ v: 2, iat, lid: 'lic_nosuch' })),
      );
      expect(forged.status).toBe(400);
      expect(errorOf(forged).code).toBe('ERR_CHECK_TIME_SKEW');
    }
    await service.recorder.flush();
    expect(store.chains.nonces.size).toBe(0);
    expect(JSON.stringify([...store.chains.heads])).toBe(heads);
    expect(store.records).toHaveLength(0);
  });

  it('holds the nonce of an unsigned UNKNOWN check off the clock only for the window, not a month', async () => {
    const { service, store } = testService();
    const answer = await postCheck(
      target(service),
      unsigned(checkClaims({ v: 2, iat: T0s - 365 * 86_400, lid: 'lic_nosuch' })),
    );
    expect(statusOf(answer).outcome).toBe('UNKNOWN');
    const held = [...store.chains.nonces.values()];
    expect(held).toHaveLength(1);
    expect(held[0]! - T0).toBeLessThanOrEqual(2 * 300_000);
  });

  it('still holds the nonce of a bound check off the clock for a month', async () => {
    const { service, store } = testService();
    const answer = await postCheck(target(service), checkToken({ v: 2, iat: T0s - 3_600 }));
    expect(statusOf(answer).outcome).toBe('VALID');
    expect([...store.chains.nonces.values()]).toEqual([T0 + 30 * 86_400_000]);
  });

  /**
   * A check made at `iat` (s) and answered at T0, the installation's next check a minute later
   * continuing the chain, then the first one replayed at `replayAt` (ms), once the store would
   * admit its nonce again: refused, with no record, chain step or fork.
   */
  async function replayAfterHold(iat: number, replayAt: number) {
    const { service, store, clock } = testService();
    const first = checkToken({ v: 2, iat });
    const answered = statusOf(await postCheck(target(service), first));
    clock.now = T0 + 60_000;
    const next = checkToken({ v: 2, iat: iat + 60, prev: answered.chain as string });
    expect(statusOf(await postCheck(target(service), next)).forked).toBeUndefined();
    await service.recorder.flush();
    const records = store.records.length;
    const heads = JSON.stringify([...store.chains.heads]);
    clock.now = replayAt;
    const replay = await postCheck(target(service), first);
    expect(replay.status).toBe(400);
    expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
    await service.recorder.flush();
    expect(store.records).toHaveLength(records);
    expect(JSON.stringify([...store.chains.heads])).toBe(heads);
    expect(await store.chains.listForks({})).toEqual([]);
  }

  it('refuses a captured version 2 check replayed once its nonce was dropped, and records no fork', async () => {
    // The in-window hold (twice the window) is over.
    await replayAfterHold(T0s, T0 + 601_000);
  });

  it('refuses a captured check made with a clock ahead, replayed once its month-long hold is over, and records no fork', async () => {
    await replayAfterHold(T0s + 365 * 86_400, T0 + 31 * 86_400_000);
  });

  it('refuses a captured version 2 check replayed once its nonce was dropped, before the installation checks again', async () => {
    // The chain's head is still what the check presented: the chain, not the nonce window,
    // knows it was answered (a lost answer is a new check, with a new token).
    const { service, store, clock } = testService();
    const first = checkToken({ v: 2 });
    expect(statusOf(await postCheck(target(service), first)).outcome).toBe('VALID');
    await service.recorder.flush();
    const heads = JSON.stringify([...store.chains.heads]);
    clock.now = T0 + 601_000; // the in-window hold (twice the window) is over
    const replay = await postCheck(target(service), first);
    expect(replay.status).toBe(400);
    expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
    await service.recorder.flush();
    expect(store.records).toHaveLength(1);
    expect(JSON.stringify([...store.chains.heads])).toBe(heads);
    expect(await store.chains.listForks({})).toEqual([]);
    // The installation's own next check is answered as ever.
    const fresh = checkToken({ v: 2, iat: T0s + 601 });
    expect(statusOf(await postCheck(target(service), fresh)).outcome).toBe('VALID');
  });

  it('refuses that replay with whitespace put into the check, which its reader drops', async () => {
    const { service, store, clock } = testService();
    const first = checkToken({ v: 2 });
    expect(statusOf(await postCheck(target(service), first)).outcome).toBe('VALID');
    await service.recorder.flush();
    const heads = JSON.stringify([...store.chains.heads]);
    clock.now = T0 + 601_000;
    for (const spaced of [`${first.slice(0, 10)}\n${first.slice(10)}`, first.replace('.', ' .')]) {
      const replay = await postCheck(target(service), spaced);
      expect(replay.status).toBe(400);
      expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
    }
    await service.recorder.flush();
    expect(store.records).toHaveLength(1);
    expect(JSON.stringify([...store.chains.heads])).toBe(heads);
  });

  it("does not let replays of a captured check drain the installation's rate limit", async () => {
    const { service } = testService({ rateLimitPerInstallation: { burst: 2, perSecond: 0.001 } });
    const captured = checkToken({ v: 2 });
    expect((await postCheck(target(service), captured)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const replay = await postCheck(target(service), captured);
      expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
    }
    // One token of two was the captured check's own; the replays took none for good.
    expect((await postCheck(target(service), checkToken({ v: 2 }))).status).toBe(200);
    expect(errorOf(await postCheck(target(service), checkToken({ v: 2 }))).code).toBe(
      'ERR_RATE_LIMITED',
    );
  });

  it('still answers an installation whose clock is behind while it continues its chain', async () => {
    const { service, clock } = testService();
    const behind = T0s - 3_600;
    const first = statusOf(await postCheck(target(service), checkToken({ v: 2, iat: behind })));
    clock.now = T0 + 60_000;
    const second = statusOf(
      await postCheck(
        target(service),
        checkToken({ v: 2, iat: behind + 60, prev: first.chain as string }),
      ),
    );
    expect(second.outcome).toBe('VALID');
    expect(second.forked).toBeUndefined();
    expect(second.skew).toBe(3_600);
  });
});
