// Issue #17 at the service: version 2 checks get version 2 statuses (chain value, clock offset),
// a wrong clock is answered instead of refused, replays are refused by the shared store's nonce
// window (also from one instance to another), and two copies of one installation are a fork,
// recorded with evidence and, when the license says so, answered SUSPENDED.
import { type CheckClaims, Keyring, verifyStatus } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifyService } from '../src/service.js';
import {
  checkToken,
  installationA,
  roomyLimits,
  seededStore,
  silentLogger,
  statusKey,
  T0,
  T0s,
  testService,
} from './support/fixtures.js';
import { errorOf, postCheck, statusOf } from './support/http.js';
import {
  type IssuerFixture,
  issueLicense,
  openIssuerFixture,
  passphrase,
  storeKinds,
} from './support/issuer-store.js';
import { checkFor, listeningUrl, post, serveProcess } from './support/process.js';

const v2 = (overrides: Partial<CheckClaims> = {}) => checkToken({ v: 2, ...overrides });

describe('version 2 checks', () => {
  it('a version 2 check gets a version 2 status with a chain value and the clock offset; a version 1 check a version 1 status', async () => {
    const { service } = testService();
    const status = statusOf(await postCheck(service.app, v2({ iat: T0s - 7 })));
    expect(status).toMatchObject({ v: 2, outcome: 'VALID', skew: 7 });
    expect(status.chain).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(status.forked).toBeUndefined();
    const old = statusOf(await postCheck(service.app, checkToken()));
    expect(old.v).toBe(1);
    expect(old).not.toHaveProperty('chain');
  });

  it('answers a check made with a clock 2 h 10 min behind, saying so, and refuses its replay after the window', async () => {
    const { service, clock } = testService();
    const token = v2({ iat: T0s - 7800 });
    const status = statusOf(await postCheck(service.app, token));
    expect(status).toMatchObject({ outcome: 'VALID', iat: T0s, skew: 7800 });
    // The clock window cannot refuse it (its iat was never inside it): the store's nonce does.
    clock.now = T0 + 3 * 3600 * 1000;
    const replay = await postCheck(service.app, token);
    expect(replay.status).toBe(400);
    expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
  });

  it('still refuses a version 1 check outside the window (a v1 status cannot say the clock is off)', async () => {
    const { service } = testService();
    const answer = await postCheck(service.app, checkToken({ iat: T0s - 7800 }));
    expect(errorOf(answer).code).toBe('ERR_CHECK_TIME_SKEW');
  });

  it('refuses a check replayed to a second instance on the same store', async () => {
    const store = seededStore();
    const make = () =>
      createVerifyService({
        store,
        statusKeys: [statusKey],
        logger: silentLogger,
        now: () => T0,
        config: roomyLimits,
      });
    const [one, two] = [make(), make()];
    const token = v2();
    expect((await postCheck(one.app, token)).status).toBe(200);
    const replay = await postCheck(two.app, token);
    expect(errorOf(replay).code).toBe('ERR_CHECK_REPLAYED');
  });
});

describe('two copies of one installation', () => {
  /** The installation's and its copy's next checks, each presenting what it holds. */
  async function diverge(policy: 'warn' | 'suspend' | 'suspend-both') {
    const { service, store } = testService();
    if (policy !== 'warn') await store.chains.setForkPolicy('lic_valid', policy, T0);
    const check = async (prev: string | undefined, inUse: number) =>
      statusOf(
        await postCheck(
          service.app,
          v2({ ...(prev === undefined ? {} : { prev }), usage: { credentialsInUse: inUse } }),
        ),
      );
    const start = await check(undefined, 10);
    // The state folder is copied here: both hold start.chain.
    const original = await check(start.chain, 10);
    const copy = await check(start.chain, 40);
    expect(copy.forked).toBeUndefined();
    const originalNext = await check(original.chain, 11);
    expect(originalNext).toMatchObject({ outcome: 'VALID' });
    const copyNext = await check(copy.chain, 41);
    return { store, originalNext, copyNext, check };
  }

  it('records the fork with both sides evidence and tells the copy (warn: still VALID)', async () => {
    const { store, copyNext, originalNext, check } = await diverge('warn');
    expect(copyNext).toMatchObject({ outcome: 'VALID', forked: true });
    const [fork] = await store.chains.listForks({ licenseId: 'lic_valid' });
    expect(fork).toMatchObject({
      installationId: installationA.kid,
      status: 'open',
      action: 'warn',
      copy: { credentialsInUse: 41, address: expect.any(String) },
      original: { credentialsInUse: 11 },
    });
    // The original carries on unbothered.
    expect((await check(originalNext.chain, 12)).forked).toBeUndefined();
  });

  it('answers SUSPENDED to the copy when the license suspends copies, and hands it no newer key', async () => {
    const { copyNext, originalNext, check } = await diverge('suspend');
    expect(copyNext).toMatchObject({ outcome: 'SUSPENDED', forked: true, license: null });
    expect(await check(copyNext.chain, 42)).toMatchObject({ outcome: 'SUSPENDED', forked: true });
    expect(await check(originalNext.chain, 12)).toMatchObject({ outcome: 'VALID' });
  });

  it('suspend-both: the original is answered SUSPENDED too while the fork is open, then VALID once it is closed', async () => {
    const { store, copyNext, originalNext, check } = await diverge('suspend-both');
    expect(copyNext).toMatchObject({ outcome: 'SUSPENDED', forked: true, license: null });
    const original = await check(originalNext.chain, 12);
    expect(original).toMatchObject({ outcome: 'SUSPENDED', forked: true, license: null });
    const [fork] = await store.chains.listForks({ licenseId: 'lic_valid' });
    await store.chains.closeFork(fork!.id, T0, 'vendor', 'the copy was shut down');
    const after = await check(original.chain, 12);
    expect(after).toMatchObject({ outcome: 'VALID' });
    expect(after.forked).toBeUndefined();
  });
});

// Two `licensor-verify serve` processes on one store: SQLite always, MongoDB (FerretDB in CI)
// when MONGODB_URI is set.
const kinds = storeKinds;

describe.each(kinds)('two verify-service processes on one %s store', (kind) => {
  let fixture: IssuerFixture | undefined;
  const children: ReturnType<typeof serveProcess>[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGTERM');
    await fixture?.cleanup();
    fixture = undefined;
  });

  it('refuse a check replayed from one to the other, and see a fork across them', async () => {
    fixture = await openIssuerFixture(kind);
    const { installation, licenseId } = await issueLicense(fixture.issuer);
    const keyring = Keyring.fromJwks(await fixture.issuer.keys.exportJwks());
    const env: Record<string, string> = {
      LICENSOR_STATUS_KEY_PASSPHRASE: passphrase,
      ...(fixture.mongoUri === undefined ? {} : { MONGODB_URI: fixture.mongoUri }),
    };
    for (let i = 0; i < 2; i++) children.push(serveProcess(['--data', fixture.dataDir], env));
    const [one, two] = await Promise.all(children.map((child) => listeningUrl(child)));
    const check = (prev: string | undefined, inUse: number) =>
      checkFor(licenseId, installation, {
        v: 2,
        sdk: '0.2.0',
        usage: { credentialsInUse: inUse },
        ...(prev === undefined ? {} : { prev }),
      });
    const answer = async (url: string, token: string) => {
      const response = await post(url as string, token);
      return { status: response.status, text: await response.text() };
    };
    const statusFrom = (text: string) => verifyStatus(text, keyring).claims;

    const first = check(undefined, 3);
    const start = statusFrom((await answer(one as string, first)).text);
    const replay = await answer(two as string, first);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.text).error.code).toBe('ERR_CHECK_REPLAYED');

    // The installation checks through one instance, its copy through the other.
    const original = statusFrom((await answer(one as string, check(start.chain, 3))).text);
    const copy = statusFrom((await answer(two as string, check(start.chain, 9))).text);
    statusFrom((await answer(one as string, check(original.chain, 4))).text);
    const forked = statusFrom((await answer(two as string, check(copy.chain, 9))).text);
    expect(forked).toMatchObject({ v: 2, forked: true });
    const forks = await fixture.store.chains.listForks({ licenseId });
    expect(forks).toHaveLength(1);
    expect(forks[0]).toMatchObject({ status: 'open', copy: { credentialsInUse: 9 } });
  }, 30_000);
});
