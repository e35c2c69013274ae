// Tokens in customers' hands stay valid forever: the service is given the literal golden checks
// of @licensor/token (what SDKs of each release already send), never checks signed afresh by
// today's code, and answers each in its own version. The version 1 status is read by the frozen
// build of the first release (token-v1.js, what installations in the field run), the version 2
// status by today's token code, both against the golden JWKS (the service signs with the golden
// status key).
import { createRequire } from 'node:module';
import { Keyring, keyPairFromSeed, type StatusClaims, verifyStatus } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import * as released from '../../token/test/releases/token-v1.js';
import { createVerifyService } from '../src/service.js';
import type { CheckView } from '../src/store-port.js';
import { roomyLimits, silentLogger, targets } from './support/fixtures.js';
import { postCheck } from './support/http.js';
import { MemoryStore } from './support/memory-store.js';

interface GoldenKey {
  kid: string;
  seed: string;
  publicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}
interface GoldenLicenseClaims {
  rev: number;
  term: { start: number; end: number; grace: number };
}
interface GoldenMessage {
  token: string;
  claims: Record<string, unknown> & { iat: number; nonce: string; lid: string; rev: number };
}
const golden = createRequire(import.meta.url)('@licensor/token/golden') as {
  keys: { license: GoldenKey; status: GoldenKey; installation: GoldenKey };
  jwks: unknown;
  subscriptionLicense: { token: string; claims: GoldenLicenseClaims };
  licenseV2: { token: string; claims: GoldenLicenseClaims };
  check: GoldenMessage;
  checkV2: GoldenMessage & { claims: { prev: string } };
  statusV2: { claims: { chain: string; skew: number } };
};

const keyOf = (entry: GoldenKey) =>
  keyPairFromSeed(Uint8Array.from(Buffer.from(entry.seed, 'hex')));
const goldenStatusKey = keyOf(golden.keys.status);
const installationId = golden.keys.installation.kid;
const licenseId = golden.check.claims.lid;

/** Members a version 1 status never carries (StatusClaims version 2 only). */
const V2_ONLY = ['chain', 'skew', 'forked', 'keysets', 'rejected'];

/**
 * The golden license on record, bound to the golden installation key: the revision the check
 * names is the one in force (the subscription license, revision 2, for the version 1 check; the
 * version 2 license, revision 3, for the version 2 check).
 */
function storeOf(license: { token: string; claims: GoldenLicenseClaims }): MemoryStore {
  const store = new MemoryStore();
  const view: CheckView = {
    licenseId,
    state: 'active',
    model: 'subscription',
    revision: license.claims.rev,
    term: license.claims.term,
    installationId,
    installationKey: golden.keys.installation.publicJwk,
    latestToken: license.token,
  };
  store.put(view);
  return store;
}

/** A service on `store`, its clock frozen at `nowMs`, signing with the golden status key. */
function serviceAt(store: MemoryStore, nowMs: number) {
  return createVerifyService({
    store,
    statusKeys: [goldenStatusKey],
    logger: silentLogger,
    now: () => nowMs,
    config: roomyLimits,
  });
}

describe.each(targets)('the literal golden checks, through the %s', (_way, target) => {
  it('answers the golden version 1 check with a version 1 status the released v1 build verifies', async () => {
    const store = storeOf(golden.subscriptionLicense);
    const now = golden.check.claims.iat;
    const service = serviceAt(store, now * 1000);
    const answer = await postCheck(target(service), golden.check.token);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/jose/);

    // What an SDK of the first release does with the answer.
    const status = released.verifyStatus(answer.text, released.Keyring.fromJwks(golden.jwks));
    expect(status.kid).toBe(golden.keys.status.kid);
    expect(status.claims).toEqual({
      v: 1,
      iat: now,
      nonce: golden.check.claims.nonce,
      lid: licenseId,
      sub: installationId,
      outcome: 'VALID',
      rev: golden.subscriptionLicense.claims.rev,
      termEnd: golden.subscriptionLicense.claims.term.end,
      checkBy: now + 24 * 60 * 60,
      license: null,
    });
    for (const member of V2_ONLY) expect(status.claims).not.toHaveProperty(member);
    // Today's code reads it the same.
    expect(verifyStatus(answer.text, Keyring.fromJwks(golden.jwks)).claims).toEqual(status.claims);
    // A version 1 check takes no step of a chain.
    expect(store.chains.heads.size).toBe(0);
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
    expect(store.records).toMatchObject([
      { licenseId, installationId, outcome: 'VALID', sdkVersion: golden.check.claims.sdk },
    ]);
  });

  it('answers the golden version 2 check with a version 2 status carrying the clock offset and the next chain value', async () => {
    const store = storeOf(golden.licenseV2);
    // The installation holds golden.statusV2: the service handed out its chain value.
    const prev = golden.checkV2.claims.prev;
    expect(prev).toBe(golden.statusV2.claims.chain);
    store.chains.heads.set(installationId, {
      installationId,
      licenseId,
      head: null,
      issued: [prev],
      last: null,
      openForkId: null,
      version: 1,
      updatedAt: 0,
    });
    // The installation's clock 2 h 10 min behind (golden.statusV2's offset): a version 2 check
    // is answered, and its status says so.
    const skew = golden.statusV2.claims.skew;
    const now = golden.checkV2.claims.iat + skew;
    const service = serviceAt(store, now * 1000);
    const answer = await postCheck(target(service), golden.checkV2.token);
    expect(answer.status, answer.text).toBe(200);

    const status: StatusClaims = verifyStatus(answer.text, Keyring.fromJwks(golden.jwks)).claims;
    expect(status).toMatchObject({
      v: 2,
      iat: now,
      nonce: golden.checkV2.claims.nonce,
      lid: licenseId,
      sub: installationId,
      outcome: 'VALID',
      rev: golden.licenseV2.claims.rev,
      termEnd: golden.licenseV2.claims.term.end,
      license: null,
      skew,
    });
    expect(status.chain).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(status.chain).not.toBe(prev);
    expect(status).not.toHaveProperty('forked');
    // The chain moved on from the value the check presented: no fork.
    expect(store.chains.heads.get(installationId)).toMatchObject({
      head: prev,
      issued: [status.chain],
    });
    expect(store.chains.forks.size).toBe(0);
    // An SDK of the first release cannot read it, and says so by name.
    expect(() =>
      released.verifyStatus(answer.text, released.Keyring.fromJwks(golden.jwks)),
    ).toThrow(expect.objectContaining({ code: 'ERR_VERSION_UNSUPPORTED', version: 2 }));
    expect(await service.drain(Date.now() + 5_000)).toBe(0);
  });
});
