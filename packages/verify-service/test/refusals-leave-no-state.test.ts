// Refused checks leave nothing behind: no check record, no nonce held, no chain step. A forged
// or malformed check carrying a genuine check's nonce must not burn it (anyone who sees a check
// in flight could otherwise make the real one a "replay"). The one thing a refusal of a license
// that exists may leave is a check.failed fact: one per license, reason and hour.
import { describe, expect, it } from 'vitest';
import {
  checkClaims,
  checkToken,
  installationA,
  installationB,
  seededStore,
  signRaw,
  T0s,
  targets,
  testService,
} from './support/fixtures.js';
import { errorOf, postCheck, statusOf } from './support/http.js';

function withSignatureFlipped(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
  return `${header}.${payload}.${flipped}`;
}

describe.each(targets)('refused checks leave no state (%s)', (_name, target) => {
  it('stores no record, holds no nonce and takes no chain step; the genuine check with that nonce is then answered', async () => {
    const store = seededStore();
    const failures: { licenseId: string; reason: string }[] = [];
    Object.assign(store, {
      recordCheckFailures: async (batch: { licenseId: string; reason: string }[]) => {
        failures.push(...batch);
      },
    });
    const { service } = testService({}, store);
    const app = target(service);
    const v1 = checkClaims({ nonce: 'nGenuineV1aaaaaaaaaaaA' });
    const v2 = checkClaims({ v: 2, nonce: 'nGenuineV2aaaaaaaaaaaA' });
    const refusals: [string, string, Record<string, string>?][] = [
      ['not application/jose', checkToken(v1), { 'content-type': 'application/json' }],
      ['empty', ''],
      ['not a JWS', 'not-a-token'],
      ['signature altered', withSignatureFlipped(checkToken(v1))],
      ['off the clock (v1)', checkToken({ ...v1, iat: T0s - 3600 })],
      ['ten years off (v2)', checkToken({ ...v2, iat: T0s - 11 * 366 * 86_400 })],
      [
        'claims beyond the schema',
        signRaw({ alg: 'EdDSA', kid: installationA.kid }, { ...v1, v: 99 }, installationA),
      ],
    ];
    for (const [what, token, headers] of refusals) {
      const answer = await postCheck(app, token, headers);
      expect(answer.status, what).toBeGreaterThanOrEqual(400);
      expect(answer.status, what).toBeLessThan(500);
      expect(errorOf(answer).code, what).toMatch(/^ERR_/);
    }
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    await service.failures?.settle();
    expect(store.records).toEqual([]);
    expect(store.chains.nonces.size).toBe(0);
    expect(store.chains.heads.size).toBe(0);
    expect(failures.length).toBeGreaterThan(0);
    const reasons = failures.map((failure) => `${failure.licenseId} ${failure.reason}`);
    expect(new Set(reasons).size).toBe(reasons.length);

    // Another installation naming the license is answered (UNKNOWN), not refused; the nonce it
    // holds is that installation's, not the genuine one's.
    const other = await postCheck(app, checkToken(v1, installationB));
    expect(statusOf(other)).toMatchObject({ nonce: v1.nonce, outcome: 'UNKNOWN' });

    for (const claims of [v1, v2]) {
      const answer = await postCheck(app, checkToken(claims));
      expect(answer.status).toBe(200);
      expect(statusOf(answer)).toMatchObject({ nonce: claims.nonce, outcome: 'VALID' });
    }
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    expect(store.records).toHaveLength(2);
    // Where an admitted nonce lands: the check above was seen.
    expect(store.chains.nonces.size).toBeGreaterThan(0);
  });
});
