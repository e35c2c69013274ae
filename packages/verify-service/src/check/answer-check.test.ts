// answerCheck without HTTP: which path a request takes, what it costs, what it records.
import { describe, expect, it } from 'vitest';
import {
  checkClaims,
  checkToken,
  installationA,
  installationB,
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
) {
  const store = seededStore();
  const decoys: string[] = [];
  const records: CheckRecord[] = [];
  const answerCheck = createAnswerCheck({
    views: new ViewCache(store, { ttlMs: 5_000, maxEntries: 10, storeTimeoutMs: 1_000 }),
    replay: new ReplayGuard({ capacity: 100, windowSeconds: 300 }),
    perInstallation,
    record: (record) => records.push(record),
    statusKey: () => statusKey,
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
