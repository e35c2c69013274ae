// answerCheck without HTTP: which path a request takes, what it costs, what it records.
import { verifyStatus } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import {
  checkClaims,
  checkToken,
  installationA,
  installationB,
  keyring,
  seededStore,
  signRaw,
  statusKey,
  T0,
  T0s,
} from '../../test/support/fixtures.js';
import type { RefusedCheck } from '../state/check-failures.js';
import { RateLimiter } from '../state/rate-limiter.js';
import { ReplayGuard } from '../state/replay-guard.js';
import { ViewCache } from '../state/view-cache.js';
import type { CheckRecord } from '../store-port.js';
import { createAnswerCheck } from './answer-check.js';

function setup(
  perInstallation = new RateLimiter({ burst: 100, perSecond: 100 }),
  refused?: (refused: RefusedCheck) => void,
  /** Told each time a status is signed (the status key is read for each signature). */
  signed?: () => void,
) {
  const store = seededStore();
  const decoys: string[] = [];
  const records: CheckRecord[] = [];
  const answerCheck = createAnswerCheck({
    views: new ViewCache(store, { ttlMs: 5_000, maxEntries: 10, storeTimeoutMs: 1_000 }),
    replay: new ReplayGuard({ capacity: 100, windowSeconds: 300 }),
    perInstallation,
    record: (record) => records.push(record),
    statusKey: () => {
      signed?.();
      return statusKey;
    },
    decoyVerification: (token) => decoys.push(token),
    windowSeconds: 300,
    checkIntervalSeconds: 86_400,
    chains: store.chains,
    forkAction: 'warn',
    offClockNonceHoldSeconds: 30 * 86_400,
    // Two versions after the shipped keys; an installation on version 1 lacks the second.
    keysets: (trusted) => ['ks.one.x', 'ks.two.x'].slice(trusted),
    ...(refused === undefined ? {} : { refused }),
  });
  return { answerCheck, decoys, records, store };
}

describe('answerCheck', () => {
  it('spends a decoy verification on every UNKNOWN answer and none on a known one', async () => {
    const { answerCheck, decoys } = setup();
    await answerCheck(checkToken(), T0);
    expect(decoys).toHaveLength(0);
    const unknown = checkToken({ lid: 'lic_nosuch' });
    const elsewhere = checkToken({}, installationB);
    await answerCheck(unknown, T0);
    await answerCheck(elsewhere, T0);
    expect(decoys).toEqual([unknown, elsewhere]);
  });

  it('records only checks whose signature the bound key verified', async () => {
    const { answerCheck, records } = setup();
    await answerCheck(checkToken({}, installationB), T0);
    await answerCheck(checkToken({ lid: 'lic_revoked' }), T0);
    expect(records).toEqual([
      expect.objectContaining({
        licenseId: 'lic_revoked',
        installationId: installationA.kid,
        outcome: 'REVOKED',
      }),
    ]);
  });

  it('records the license revision a bound check reports holding (its rev), on either version, and none above the license revision', async () => {
    const { answerCheck, records } = setup();
    // lic_renewed is at revision 2: the installation still holds 1, then applied 2.
    await answerCheck(checkToken({ lid: 'lic_renewed', rev: 1 }), T0);
    await answerCheck(checkToken({ v: 2, keyset: 0, lid: 'lic_renewed', rev: 2 }), T0);
    // lic_valid is at revision 1: a claim of revision 5 is answered, and not recorded as held.
    await answerCheck(checkToken({ lid: 'lic_valid', rev: 5 }), T0);
    expect(records.map((r) => [r.licenseId, r.installationId, r.rev])).toEqual([
      ['lic_renewed', installationA.kid, 1],
      ['lic_renewed', installationA.kid, 2],
      ['lic_valid', installationA.kid, undefined],
    ]);
    expect(records[2]).not.toHaveProperty('rev');
  });

  it('records no revision (nor anything) for an UNKNOWN check: no license, another installation, none bound', async () => {
    const { answerCheck, records } = setup();
    const unknown = [
      checkToken({ lid: 'lic_nosuch', rev: 1 }),
      checkToken({ lid: 'lic_renewed', rev: 2 }, installationB),
      checkToken({ v: 2, keyset: 0, lid: 'lic_renewed', rev: 2 }, installationB),
      checkToken({ lid: 'lic_unbound', rev: 1 }),
    ];
    for (const token of unknown) {
      const answer = await answerCheck(token, T0);
      expect(answer.outcome).toBe('UNKNOWN');
    }
    expect(records).toEqual([]);
  });

  it('takes the installation rate only from verified checks', async () => {
    const { answerCheck } = setup(new RateLimiter({ burst: 1, perSecond: 0.001 }));
    // Anyone can name installation A's id in an UNKNOWN request; that must not drain A's bucket.
    await answerCheck(checkToken({ lid: 'lic_nosuch' }), T0);
    await answerCheck(checkToken({ lid: 'lic_nosuch' }), T0);
    await expect(answerCheck(checkToken(), T0)).resolves.toMatchObject({ outcome: 'VALID' });
    await expect(answerCheck(checkToken(), T0)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
  });

  it('relays the key set versions a version 2 check lacks, and none to a v1 check or one that does not say (#11)', async () => {
    const { answerCheck } = setup();
    const claimsOf = (status: string) =>
      JSON.parse(Buffer.from(status.split('.')[1]!, 'base64url').toString('utf8'));
    const lacking = await answerCheck(checkToken({ v: 2, keyset: 1 }), T0);
    expect(claimsOf(lacking.status).keysets).toEqual(['ks.two.x']);
    const fresh = await answerCheck(checkToken({ v: 2, keyset: 0 }), T0);
    expect(claimsOf(fresh.status).keysets).toEqual(['ks.one.x', 'ks.two.x']);
    const current = await answerCheck(checkToken({ v: 2, keyset: 2 }), T0);
    expect(claimsOf(current.status)).not.toHaveProperty('keysets');
    const silent = await answerCheck(checkToken({ v: 2 }), T0);
    expect(claimsOf(silent.status)).not.toHaveProperty('keysets');
    const v1 = await answerCheck(checkToken(), T0);
    expect(claimsOf(v1.status)).not.toHaveProperty('keysets');
  });
});

describe('refused checks (check.failed)', () => {
  function withRefusals() {
    const refused: RefusedCheck[] = [];
    return { ...setup(undefined, (r) => refused.push(r)), refused };
  }
  const header = { alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installationA.kid };

  it('tells of a forged signature, an unknown installation and a replay of a license that exists', async () => {
    const { answerCheck, refused } = withRefusals();
    // Installation A's id, signed by someone else's key.
    const forged = signRaw(header, checkClaims(), installationB);
    await expect(answerCheck(forged, T0)).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
    await expect(answerCheck(checkToken({}, installationB), T0)).resolves.toMatchObject({
      outcome: 'UNKNOWN',
    });
    const once = checkToken();
    await answerCheck(once, T0);
    await expect(answerCheck(once, T0)).rejects.toMatchObject({ code: 'ERR_CHECK_REPLAYED' });
    expect(refused).toEqual([
      {
        licenseId: 'lic_valid',
        installationId: installationA.kid,
        reason: 'ERR_SIGNATURE_INVALID',
        at: T0,
      },
      {
        licenseId: 'lic_valid',
        installationId: installationB.kid,
        reason: 'UNKNOWN_INSTALLATION',
        at: T0,
      },
      {
        licenseId: 'lic_valid',
        installationId: installationA.kid,
        reason: 'ERR_CHECK_REPLAYED',
        at: T0,
      },
    ]);
  });

  it('tells of a v1 check off the clock only when its license is bound to that installation', async () => {
    const { answerCheck, refused } = withRefusals();
    const skewed = { iat: T0s - 3_600 };
    await expect(answerCheck(checkToken(skewed), T0)).rejects.toMatchObject({
      code: 'ERR_CHECK_TIME_SKEW',
    });
    await expect(answerCheck(checkToken(skewed, installationB), T0)).rejects.toMatchObject({
      code: 'ERR_CHECK_TIME_SKEW',
    });
    expect(refused).toEqual([
      {
        licenseId: 'lic_valid',
        installationId: installationA.kid,
        reason: 'ERR_CHECK_TIME_SKEW',
        at: T0,
      },
    ]);
  });

  it('says nothing of a license that does not exist, or of an answered check', async () => {
    const { answerCheck, refused } = withRefusals();
    await answerCheck(checkToken({ lid: 'lic_nosuch' }), T0);
    await expect(
      answerCheck(signRaw(header, checkClaims({ lid: 'lic_nosuch' }), installationB), T0),
    ).resolves.toMatchObject({ outcome: 'UNKNOWN' });
    await answerCheck(checkToken(), T0);
    await answerCheck(checkToken({ lid: 'lic_revoked' }), T0);
    expect(refused).toEqual([]);
  });
});

describe('a status signed while its nonce is written (#15.5)', () => {
  /** The store's nonce admissions held until the test answers them, and the signatures made. */
  function held() {
    let signatures = 0;
    const context = setup(undefined, undefined, () => {
      signatures += 1;
    });
    const admissions: { resolve(admitted: boolean): void; reject(error: unknown): void }[] = [];
    context.store.chains.admitNonce = () =>
      new Promise((resolve, reject) => admissions.push({ resolve, reject }));
    return { ...context, admissions, signatures: () => signatures };
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  /** Microtasks only (no turn of the event loop ends) until the check asks the store. */
  const asked = async (admissions: unknown[]) => {
    for (let i = 0; i < 1_000 && admissions.length === 0; i++) await Promise.resolve();
    expect(admissions).toHaveLength(1);
  };

  it('signs a version 1 status before the store has the nonce, and answers only once it does', async () => {
    const { answerCheck, admissions, records, signatures } = held();
    let answered = false;
    const answer = answerCheck(checkToken(), T0).then((a) => {
      answered = true;
      return a;
    });
    await turn();
    await turn();
    expect(admissions).toHaveLength(1);
    expect(signatures()).toBe(1);
    expect(answered).toBe(false);
    expect(records).toHaveLength(0);
    admissions[0]!.resolve(true);
    const { status, outcome } = await answer;
    expect(outcome).toBe('VALID');
    expect(verifyStatus(status, keyring).claims).toMatchObject({ outcome: 'VALID', v: 1 });
    expect(signatures()).toBe(1);
    expect(records).toHaveLength(1);
  });

  it('refuses a check the store already holds (another instance answered it), signed or not, and records nothing', async () => {
    const { answerCheck, admissions, records } = held();
    const answer = answerCheck(checkToken(), T0);
    await turn();
    admissions[0]!.resolve(false);
    await expect(answer).rejects.toMatchObject({ code: 'ERR_CHECK_REPLAYED' });
    expect(records).toHaveLength(0);
  });

  it('answers a store that fails before the status is signed with its error, not an unhandled rejection', async () => {
    const { answerCheck, admissions, records } = held();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Its refusal is taken at once, so that only a rejection inside answerCheck is unhandled.
      const refusal = answerCheck(checkToken(), T0).then(
        () => null,
        (error: unknown) => error,
      );
      await asked(admissions);
      // Refused before the turn ends, while the status is not signed yet.
      admissions[0]!.reject(
        Object.assign(new Error('disk gone'), { code: 'ERR_STORE_UNAVAILABLE' }),
      );
      await turn();
      await turn();
      expect(await refusal).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      expect(unhandled).toEqual([]);
      expect(records).toHaveLength(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it("signs a bound version 2 check's status only after its nonce is admitted (the chain step)", async () => {
    const { answerCheck, admissions, signatures } = held();
    const answer = answerCheck(checkToken({ v: 2 }), T0);
    await turn();
    await turn();
    expect(admissions).toHaveLength(1);
    expect(signatures()).toBe(0);
    admissions[0]!.resolve(true);
    const { status } = await answer;
    expect(signatures()).toBe(1);
    expect(verifyStatus(status, keyring).claims).toHaveProperty('chain');
  });

  it('signs an UNKNOWN version 2 check (no license bound to it) while its nonce is written: a decoy verification, no chain step, nothing recorded', async () => {
    const { answerCheck, admissions, decoys, records, signatures } = held();
    let answered = false;
    const answer = answerCheck(checkToken({ v: 2, lid: 'lic_nosuch' }), T0).then((a) => {
      answered = true;
      return a;
    });
    await turn();
    await turn();
    expect(admissions).toHaveLength(1);
    expect(signatures()).toBe(1);
    expect(answered).toBe(false);
    expect(decoys).toHaveLength(1);
    admissions[0]!.resolve(true);
    const { status, outcome } = await answer;
    expect(outcome).toBe('UNKNOWN');
    const claims = verifyStatus(status, keyring).claims;
    expect(claims).toMatchObject({ outcome: 'UNKNOWN' });
    expect(claims).not.toHaveProperty('chain');
    expect(signatures()).toBe(1);
    expect(records).toHaveLength(0);
  });

  it("answers a broken status key while the nonce is written with a plain error (a 500, not the caller's fault), records nothing, and leaves no unhandled rejection", async () => {
    const context = setup(undefined, undefined, () => {
      throw new Error('status key unreadable');
    });
    const admissions: { resolve(admitted: boolean): void }[] = [];
    context.store.chains.admitNonce = () => new Promise((resolve) => admissions.push({ resolve }));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const refusal = context.answerCheck(checkToken(), T0).then(
        () => null,
        (error: unknown) => error,
      );
      const error = await refusal;
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ message: 'signing the status failed' });
      expect((error as { code?: unknown }).code).toBeUndefined();
      // The nonce was asked for (it is the check's; a retry of the same check is a replay).
      expect(admissions).toHaveLength(1);
      admissions[0]!.resolve(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(context.records).toHaveLength(0);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
