// Key sets delivered online: the check reports the version trusted (check v2 `keyset`), the
// status relays the versions after it (status v2 `keysets`), and the SDK applies them before it
// reads the status, which may be signed by a status key only the new version announces.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CheckClaims, Keyring, keyPairFromSeed } from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import {
  admin,
  answer,
  FrozenClock,
  licenseKey,
  statusKey,
  trust,
  viewer,
} from '../test/fixtures.js';
import {
  forged,
  L2,
  newerFormat,
  productKeyTakeover,
  S1,
  S2,
  signRaw,
  statusRotation,
  v1,
  v2,
  v3,
} from '../test/keysets.js';
import { startVerifyServer, statusFor, type VerifyServer } from '../test/verify-server.js';
import { createLicensor } from './licensor.js';
import { FileStore } from './store/file-store.js';

let server: VerifyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function online(shipped: unknown = trust) {
  const clock = new FrozenClock();
  server = await startVerifyServer(clock);
  const dir = mkdtempSync(join(tmpdir(), 'licensor-keysets-online-'));
  const open = () =>
    createLicensor({
      store: new FileStore(dir),
      trust: shipped as typeof trust,
      product: { name: 'CMS', version: '5.2.0' },
      now: clock.now,
      verifyUrl: server!.url,
    });
  const licensor = open();
  const { challenge } = await licensor.createChallenge(admin);
  server.register(challenge);
  const key = answer(challenge);
  await licensor.applyLicenseKey(admin, key);
  const stateFile = () => readFileSync(join(dir, 'state.json'), 'utf8');
  return { clock, server, licensor, open, stateFile, challenge };
}

/** The token the vendor re-signs with L2 after activating it: next revision, delivered online. */
function resigned(challenge: string): string {
  return answer(challenge, { rev: 2, chal: null }, L2);
}

describe('key sets relayed with the status', () => {
  it('reports the version trusted, applies the relayed versions, then the status signed by the new status key and the re-signed license', async () => {
    const { clock, server, licensor, open, challenge } = await online();
    server.plan = (check, id) =>
      statusFor(check, id, clock, { keysets: [v1, v2], license: resigned(challenge) }, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetVersion: 2,
      keysetRefused: null,
      appliedRevision: 2,
      deliveredTokenRefused: null,
    });
    expect(server.checks.at(-1)?.keyset).toBe(0);

    // A restart trusts version 2 and says so in the next check.
    const restarted = open();
    expect((await restarted.getLicenseInfo(admin)).keysetVersion).toBe(2);
    server.plan = (check, id) => statusFor(check, id, clock, {}, S2);
    clock.advance(60);
    expect((await restarted.verifyOnline(admin)).ok).toBe(true);
    expect(server.checks.at(-1)?.keyset).toBe(2);
    const verifies = (await restarted.listAudit(admin)).filter((e) => e.action === 'verify');
    expect(verifies.map((e) => e.detail)).toEqual([
      'outcome VALID, key set version 2; applied revision 2 (perpetual, 10 credentials)',
      'outcome VALID',
    ]);
  });

  it('applies a revocation together with the re-signed license that replaces the revoked key', async () => {
    const { clock, server, licensor, challenge } = await online();
    server.plan = (check, id) =>
      statusFor(check, id, clock, { keysets: [v1, v2, v3], license: resigned(challenge) }, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({ ok: true, keysetVersion: 3, appliedRevision: 2 });
    const keys = (await licensor.getTrust(admin)).keys.map((key) => key.kid);
    expect(keys).toEqual(expect.arrayContaining([L2.kid, S2.kid]));
    expect(keys).not.toContain(S1.kid);
  });

  it('refuses relayed versions that would strand the license in force, and still records the status', async () => {
    const { clock, server, licensor, stateFile } = await online();
    const keysetsBefore = JSON.parse(stateFile()).keysets;
    // Version 3 revokes L1, which signed the license in force; no re-signed license comes.
    server.plan = (check, id) => statusFor(check, id, clock, { keysets: [v1, v2, v3] }, S1);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetVersion: null,
      keysetRefused: { code: 'ERR_KEYSET_DROPS_KEY_IN_USE' },
    });
    expect(JSON.parse(stateFile()).keysets).toEqual(keysetsBefore);
    expect((await licensor.getTrust(admin)).keysetVersion).toBe(0);
    const entry = (await licensor.listAudit(admin)).filter((e) => e.action === 'verify').at(-1);
    expect(entry?.detail).toBe('outcome VALID, key set refused: ERR_KEYSET_DROPS_KEY_IN_USE');
  });

  it('records a REVOKED status signed by the replacement status key when the relayed version revokes the key of the last VALID status', async () => {
    const { clock, server, licensor, open, stateFile } = await online();
    // The last VALID status is signed by S1; the vendor then moves to S2 and revokes S1.
    expect((await licensor.verifyOnline(admin)).outcome).toBe('VALID');
    clock.advance(3600);
    server.plan = (check, id) =>
      statusFor(check, id, clock, { outcome: 'REVOKED', keysets: [statusRotation] }, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'REVOKED',
      keysetVersion: 1,
      keysetRefused: null,
    });
    expect(result.info).toMatchObject({ state: 'revoked', lastVerifyResult: 'REVOKED' });
    // The last VALID status signed by the revoked key no longer vouches for anything: dropped.
    expect(JSON.parse(stateFile()).lastValidStatus).toBeNull();
    const reopened = await open().getLicenseInfo(admin);
    expect(reopened).toMatchObject({ state: 'revoked', keysetVersion: 1 });
    const keys = (await open().getTrust(admin)).keys.map((key) => key.kid);
    expect(keys).toContain(S2.kid);
    expect(keys).not.toContain(S1.kid);
  });

  it('keeps the last VALID status, and refuses the version, when the status dropping its key answers UNKNOWN', async () => {
    // UNKNOWN decides nothing by itself: dropping the last VALID status would count a
    // subscription's grace from its token's issue. The version is refused, as before.
    const { clock, server, licensor, stateFile } = await online();
    expect((await licensor.verifyOnline(admin)).outcome).toBe('VALID');
    const before = JSON.parse(stateFile());
    clock.advance(3600);
    server.plan = (check, id) =>
      statusFor(check, id, clock, { outcome: 'UNKNOWN', rev: null, keysets: [statusRotation] }, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: false,
      keysetRefused: { code: 'ERR_KEYSET_DROPS_KEY_IN_USE' },
    });
    const after = JSON.parse(stateFile());
    expect(after.lastValidStatus).toBe(before.lastValidStatus);
    expect(after.keysets).toEqual(before.keysets);
  });

  it('still refuses a relayed version that revokes the status key and the license key in force without a re-signed license', async () => {
    const { clock, server, licensor, stateFile } = await online();
    expect((await licensor.verifyOnline(admin)).outcome).toBe('VALID');
    const before = JSON.parse(stateFile());
    clock.advance(3600);
    // Version 3 revokes L1 (the license in force) and S1; no re-signed license comes along.
    server.plan = (check, id) =>
      statusFor(check, id, clock, { outcome: 'REVOKED', keysets: [v1, v2, v3] }, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: false,
      keysetRefused: { code: 'ERR_KEYSET_DROPS_KEY_IN_USE' },
    });
    const after = JSON.parse(stateFile());
    expect(after.keysets).toEqual(before.keysets);
    expect(after.lastValidStatus).toBe(before.lastValidStatus);
    expect(after.license).toEqual(before.license);
  });

  it('refuses a forged relayed version; the trust is unchanged and the status still counts', async () => {
    const { clock, server, licensor, stateFile } = await online();
    const keysetsBefore = JSON.parse(stateFile()).keysets;
    server.plan = (check, id) => statusFor(check, id, clock, { keysets: [forged] });
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      keysetVersion: null,
      keysetRefused: { code: 'ERR_KEYSET_UNTRUSTED' },
    });
    expect(JSON.parse(stateFile()).keysets).toEqual(keysetsBefore);
    expect(result.info.lastVerifyResult).toBe('VALID');
  });

  it("refuses a relayed version a product's key signed; the trust is unchanged and the status still counts", async () => {
    const CMS_KEY = keyPairFromSeed(new Uint8Array(32).fill(31));
    const withProductKey = Keyring.of([
      { publicKey: licenseKey.publicKey, purpose: 'license' },
      { publicKey: statusKey.publicKey, purpose: 'status' },
      { publicKey: CMS_KEY.publicKey, purpose: 'license', product: 'CMS' },
    ]).toJwks();
    const { clock, server, licensor, stateFile } = await online(withProductKey);
    const takeover = await productKeyTakeover(CMS_KEY);
    const keysetsBefore = JSON.parse(stateFile()).keysets;
    const trustBefore = await licensor.getTrust(admin);
    server.plan = (check, id) => statusFor(check, id, clock, { keysets: [takeover] });
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      keysetVersion: null,
      keysetRefused: { code: 'ERR_KEYSET_UNTRUSTED' },
    });
    expect(JSON.parse(stateFile()).keysets).toEqual(keysetsBefore);
    expect(await licensor.getTrust(admin)).toEqual(trustBefore);
  });

  it('an operator without the System Administrator role verifies and the relayed versions are applied, also when the status is signed by a key only they announce', async () => {
    const { clock, server, licensor } = await online();
    // After a rotation: the status is signed by S2, which only the relayed versions announce.
    server.plan = (check, id) => statusFor(check, id, clock, { keysets: [v1, v2] }, S2);
    const result = await licensor.verifyOnline(viewer);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetVersion: 2,
      keysetRefused: null,
    });
    expect((await licensor.getTrust(admin)).keysetVersion).toBe(2);
  });

  it('refuses a relayed key set of a newer format by name (update the SDK); the status still counts', async () => {
    const { clock, server, licensor, stateFile } = await online();
    const keysetsBefore = JSON.parse(stateFile()).keysets;
    server.plan = (check, id) => statusFor(check, id, clock, { keysets: [newerFormat] });
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'VALID',
      keysetVersion: null,
      keysetRefused: { code: 'ERR_VERSION_UNSUPPORTED' },
    });
    expect(result.keysetRefused?.message).toMatch(/newer format[\s\S]*update/);
    expect(JSON.parse(stateFile()).keysets).toEqual(keysetsBefore);
  });

  it('reports a relayed key set of a newer format by name when the status needs it (signed by a key only it announces)', async () => {
    const { clock, server, licensor } = await online();
    server.plan = (check, id) => statusFor(check, id, clock, { keysets: [newerFormat] }, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'ERR_STATUS_INVALID' },
      keysetRefused: { code: 'ERR_VERSION_UNSUPPORTED' },
    });
  });

  it('refuses a status of a newer format by name (update the SDK); nothing but the failed attempt is recorded', async () => {
    const { clock, server, licensor, stateFile } = await online();
    const before = JSON.parse(stateFile());
    server.plan = (check, id) => {
      const claims = JSON.parse(
        Buffer.from(statusFor(check, id, clock).body.split('.')[1]!, 'base64url').toString(),
      );
      const body = signRaw(
        { alg: 'EdDSA', typ: 'licensor-status+jwt', kid: statusKey.kid },
        { ...claims, v: 99 },
        statusKey,
      );
      return { contentType: 'application/jose', body };
    };
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_VERSION_UNSUPPORTED' } });
    expect(result.error?.message).toMatch(/newer format[\s\S]*update/);
    const after = JSON.parse(stateFile());
    expect(after.lastStatus).toBe(before.lastStatus);
    expect(after.license).toEqual(before.license);
  });

  it('skips relayed versions it already holds', async () => {
    const { clock, server, licensor } = await online();
    await licensor.applyKeysets(admin, v1);
    let reported: CheckClaims | undefined;
    server.plan = (check, id) => {
      reported = check;
      return statusFor(check, id, clock, { keysets: [v1, v2] });
    };
    const result = await licensor.verifyOnline(admin);
    expect(reported?.keyset).toBe(1);
    expect(result).toMatchObject({ ok: true, keysetVersion: 2, keysetRefused: null });
  });

  it('a status signed by a status key no relayed version announces is refused as before', async () => {
    const { clock, server, licensor, stateFile } = await online();
    const before = JSON.parse(stateFile());
    server.plan = (check, id) => statusFor(check, id, clock, {}, S2);
    const result = await licensor.verifyOnline(admin);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_STATUS_INVALID' } });
    expect(JSON.parse(stateFile()).keysets).toEqual(before.keysets);
  });
});
