// Vendor key sets applied by the SDK: each version verified against the keys trusted now, newer
// than the one held, persisted in the sealed state (it survives a restart), audited, and every
// refusal leaves the state file byte for byte as it was.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armour, toPublicJwk, VersionUnsupportedError } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, setup, trust, viewer } from '../test/fixtures.js';
import { flipSignature, forged, L1, L2, newerFormat, S2, v1, v2, v3 } from '../test/keysets.js';
import { createLicensor } from './licensor.js';
import { FileStore } from './store/file-store.js';
import type { StoredState } from './store/store.js';
import { sealState } from './stored-state.js';

function onDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-keysets-'));
  const clock = new FrozenClock();
  const open = (shipped: unknown = trust) =>
    createLicensor({
      store: new FileStore(dir),
      trust: shipped as typeof trust,
      product: { name: 'CMS', version: '5.2.0' },
      now: clock.now,
    });
  const stateFile = () => readFileSync(join(dir, 'state.json'), 'utf8');
  return { dir, clock, open, stateFile, licensor: open() };
}

/** An installation on disk holding a license signed by the shipped license key (L1). */
async function licensed() {
  const disk = onDisk();
  const { challenge } = await disk.licensor.createChallenge(admin);
  await disk.licensor.applyLicenseKey(admin, answer(challenge));
  return disk;
}

async function expectRefusedUnchanged(
  disk: Awaited<ReturnType<typeof licensed>>,
  paste: string,
  code: string,
): Promise<void> {
  const before = disk.stateFile();
  await expect(disk.licensor.applyKeysets(admin, paste)).rejects.toMatchObject({ code });
  expect(disk.stateFile()).toBe(before);
  // A new process reads the same trust: nothing was half-applied.
  const reopened = await disk.open().getTrust(admin);
  expect(reopened.keysetVersion).toBe((await disk.licensor.getTrust(admin)).keysetVersion);
  const last = (await disk.licensor.listAudit(admin)).filter((e) => e.action === 'trust').at(-1);
  expect(last).toMatchObject({ outcome: 'refused', code });
}

describe('applyKeysets', () => {
  it('follows the chain version by version, keeps it across a restart and audits each step', async () => {
    const disk = await licensed();
    expect((await disk.licensor.getTrust(admin)).keysetVersion).toBe(0);

    const first = await disk.licensor.applyKeysets(admin, armour(v1, 'keyset'));
    expect(first).toMatchObject({ keysetVersion: 1, previousVersion: 0, applied: [1] });
    expect(first.keys).toContainEqual({ kid: L2.kid, purpose: 'license', state: 'next' });

    const second = await disk.licensor.applyKeysets(admin, v2);
    expect(second).toMatchObject({ keysetVersion: 2, previousVersion: 1, applied: [2] });

    // A restart (a new process on the same folder) trusts version 2: it was persisted.
    const restarted = disk.open();
    const trusted = await restarted.getTrust(admin);
    expect(trusted.keysetVersion).toBe(2);
    expect(trusted.keys).toEqual(
      expect.arrayContaining([
        { kid: L1.kid, purpose: 'license', state: 'retired' },
        { kid: L2.kid, purpose: 'license', state: 'active' },
        { kid: S2.kid, purpose: 'status', state: 'active' },
      ]),
    );
    expect((await restarted.getLicenseInfo(admin)).keysetVersion).toBe(2);
    const audited = (await restarted.listAudit(admin)).filter((e) => e.action === 'trust');
    expect(audited.map((e) => [e.outcome, e.detail])).toEqual([
      ['ok', 'key set version 1 (was 0; applied 1)'],
      ['ok', 'key set version 2 (was 1; applied 2)'],
    ]);
    expect((await restarted.verifyAudit(admin)).ok).toBe(true);
  });

  it('skips the versions already held in a paste of every version (keys export --keyset)', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, v1);
    const result = await disk.licensor.applyKeysets(
      admin,
      armour(v1, 'keyset') + armour(v2, 'keyset'),
    );
    expect(result).toMatchObject({ keysetVersion: 2, previousVersion: 1, applied: [2] });
  });

  it('applies several versions pasted at once, with text around the blocks', async () => {
    const disk = await licensed();
    const paste = `Dear customer,\n${armour(v1, 'keyset')}\n${armour(v2, 'keyset')}Regards\n`;
    const result = await disk.licensor.applyKeysets(admin, paste);
    expect(result).toMatchObject({ keysetVersion: 2, applied: [1, 2] });
  });

  it('then accepts a license key signed by the new key, which the shipped keys do not hold', async () => {
    const { licensor } = setup();
    await licensor.applyKeysets(admin, armour(v1, 'keyset') + armour(v2, 'keyset'));
    const { challenge } = await licensor.createChallenge(admin);
    const result = await licensor.applyLicenseKey(admin, answer(challenge, {}, L2));
    expect(result.info.state).toBe('active');

    const { licensor: untouched } = setup();
    const { challenge: other } = await untouched.createChallenge(admin);
    await expect(untouched.applyLicenseKey(admin, answer(other, {}, L2))).rejects.toMatchObject({
      code: 'ERR_KID_UNKNOWN',
    });
  });

  it('refuses an older or the same version (rollback); the state file is unchanged', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, `${v1}\n`);
    await disk.licensor.applyKeysets(admin, v2);
    await expectRefusedUnchanged(disk, v1, 'ERR_KEYSET_STALE');
    await expectRefusedUnchanged(disk, v2, 'ERR_KEYSET_STALE');
    expect((await disk.licensor.getTrust(admin)).keysetVersion).toBe(2);
  });

  it('refuses a forged set, a changed signature and a skipped version; the state file is unchanged', async () => {
    const disk = await licensed();
    await expectRefusedUnchanged(disk, forged, 'ERR_KEYSET_UNTRUSTED');
    await expectRefusedUnchanged(disk, flipSignature(v1), 'ERR_KEYSET_UNTRUSTED');
    // Version 2 is signed by L2, which the shipped keys do not trust yet: version 1 comes first.
    await expectRefusedUnchanged(disk, v2, 'ERR_KEYSET_UNTRUSTED');
    // One bad version refuses the whole paste, the good one before it included.
    await expectRefusedUnchanged(
      disk,
      armour(v1, 'keyset') + armour(forged, 'keyset'),
      'ERR_KEYSET_UNTRUSTED',
    );
    expect((await disk.licensor.getTrust(admin)).keysetVersion).toBe(0);
  });

  it('refuses a set that drops the key of the license in force; the state file is unchanged', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, armour(v1, 'keyset') + armour(v2, 'keyset'));
    // Version 3 revokes L1, which signed the license in force, and brings no replacement.
    await expectRefusedUnchanged(disk, v3, 'ERR_KEYSET_DROPS_KEY_IN_USE');
    expect((await disk.licensor.getLicenseInfo(admin)).state).toBe('active');
  });

  it('refuses malformed input: cut short, not a token, a license block, nothing; the state file is unchanged', async () => {
    const disk = await licensed();
    await expectRefusedUnchanged(disk, v1.slice(0, 120), 'ERR_KEYSET_INVALID');
    await expectRefusedUnchanged(disk, 'not a key set', 'ERR_KEYSET_INVALID');
    await expectRefusedUnchanged(
      disk,
      '-----BEGIN LICENSOR KEY SET-----\nabc\n-----END LICENSOR LICENSE-----',
      'ERR_KEYSET_INVALID',
    );
    const { challenge } = await disk.licensor.createChallenge(admin);
    await expectRefusedUnchanged(disk, armour(answer(challenge), 'license'), 'ERR_KEYSET_INVALID');
    await expectRefusedUnchanged(disk, '   ', 'ERR_KEYSET_INVALID');
    // A license key is not a key set even unarmoured (its typ says so).
    await expectRefusedUnchanged(disk, answer(challenge), 'ERR_KEYSET_INVALID');
  });

  it('refuses a genuine key set of a newer format by name, saying to update the SDK; the state file is unchanged', async () => {
    const disk = await licensed();
    await expectRefusedUnchanged(disk, armour(newerFormat, 'keyset'), 'ERR_VERSION_UNSUPPORTED');
    const refused = await disk.licensor.applyKeysets(admin, newerFormat).catch((e) => e);
    expect(refused).toBeInstanceOf(VersionUnsupportedError);
    expect(refused.message).toMatch(/newer format/);
    expect(refused.message).toMatch(/update/i);
    expect(refused.message).not.toMatch(/cut short/);
  });

  it('needs the System Administrator role; the state file is unchanged', async () => {
    const disk = await licensed();
    const before = disk.stateFile();
    await expect(disk.licensor.applyKeysets(viewer, v1)).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    expect(disk.stateFile()).toBe(before);
  });
});

describe('the stored chain', () => {
  it('is walked again at load: a forged version written into the state (even re-sealed) is ERR_STATE_TAMPERED', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, v1);
    const store = new FileStore(disk.dir);
    const document = JSON.parse(disk.stateFile()) as StoredState & { seal: string };
    const { seal: _seal, ...state } = document;
    const seed = (await store.loadInstallationKey())!;
    // Code that holds the installation key can re-seal an edit; the chain still does not verify.
    await store.saveState(sealState({ ...state, keysets: [v1, forged] }, seed));
    await expect(disk.open().getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
  });

  it('a forged or edited version before the ones the shipped keys verify (re-sealed) is ERR_STATE_TAMPERED, not skipped', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, armour(v1, 'keyset') + armour(v2, 'keyset'));
    const store = new FileStore(disk.dir);
    const { seal: _seal, ...state } = JSON.parse(disk.stateFile()) as StoredState & {
      seal: string;
    };
    const seed = (await store.loadInstallationKey())!;
    const [header, payload, signature] = v1.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const edited = [
      header,
      Buffer.from(JSON.stringify({ ...claims, iat: claims.iat + 1 })).toString('base64url'),
      signature,
    ].join('.');
    for (const keysets of [
      // A version nobody's key chains to, before the genuine ones.
      [forged, v1, v2],
      // Version 1 edited: the shipped keys verify neither it nor version 2 (signed by L2).
      [edited, v2],
    ]) {
      await store.saveState(sealState({ ...state, keysets }, seed));
      const written = disk.stateFile();
      await expect(disk.open().getTrust(admin)).rejects.toMatchObject({
        code: 'ERR_STATE_TAMPERED',
      });
      expect(disk.stateFile()).toBe(written);
    }
  });

  it('an edited chain that is not re-sealed breaks the seal', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, v1);
    const store = new FileStore(disk.dir);
    const document = JSON.parse(disk.stateFile()) as StoredState & { seal: string };
    await store.saveState({ ...document, keysets: [] });
    await expect(disk.open().getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
  });

  it('a newer product release shipping the new keys continues from the versions they verify', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, armour(v1, 'keyset') + armour(v2, 'keyset'));
    // The release ships L1 (retired), L2 and S2: version 1 (signed by L1) and 2 verify.
    const release = {
      keys: [L1, L2, S2].map((key, i) => ({
        ...toPublicJwk(key.publicKey),
        kid: key.kid,
        alg: 'EdDSA',
        use: 'sig',
        purpose: i === 2 ? 'status' : 'license',
      })),
    };
    expect((await disk.open(release).getTrust(admin)).keysetVersion).toBe(2);
    // A release shipping only L2 and S2 verifies version 2 alone and continues from there.
    const newest = { keys: release.keys.slice(1) };
    const reopened = disk.open(newest);
    // The license in force is signed by L1, still trusted through version 2 (retired).
    expect((await reopened.getLicenseInfo(admin)).state).toBe('active');
    expect((await reopened.getTrust(admin)).keysetVersion).toBe(2);
  });

  it('a release built after a key was revoked passes over the versions its shipped keys never trusted, then follows the chain strictly', async () => {
    // Shipped: every key not revoked when the release was built, after version 3 revoked L1.
    const afterRevoke = {
      keys: [L2, S2].map((key, i) => ({
        ...toPublicJwk(key.publicKey),
        kid: key.kid,
        alg: 'EdDSA',
        use: 'sig',
        purpose: i === 0 ? 'license' : 'status',
      })),
    };
    const disk = onDisk();
    const licensor = disk.open(afterRevoke);
    const { challenge } = await licensor.createChallenge(admin);
    // The vendor's bundle from version 0: version 1 is signed by L1, which this release never
    // trusted; version 2 by L2, which it ships.
    const bundle =
      [v1, v2, v3].map((t) => armour(t, 'keyset')).join('') +
      armour(answer(challenge, {}, L2), 'license');
    const result = await licensor.applyLicenseKey(admin, bundle);
    expect(result).toMatchObject({ keysetVersion: 3, info: { state: 'active' } });
    const reopened = disk.open(afterRevoke);
    expect((await reopened.getTrust(admin)).keysetVersion).toBe(3);
    expect((await reopened.getLicenseInfo(admin)).state).toBe('active');
    // Nothing a passed-over version lists is trusted: L1 was only ever in versions 1 and 2.
    expect((await reopened.getTrust(admin)).keys.map((key) => key.kid)).not.toContain(L1.kid);
    // From then on the chain is strict: a forged version after it is refused.
    const before = disk.stateFile();
    await expect(reopened.applyKeysets(admin, forged)).rejects.toMatchObject({
      code: 'ERR_KEYSET_UNTRUSTED',
    });
    expect(disk.stateFile()).toBe(before);
  });

  it('a release on the shipped keys still refuses a paste none of whose versions they verify', async () => {
    const disk = await licensed();
    await expectRefusedUnchanged(
      disk,
      armour(forged, 'keyset') + armour(v2, 'keyset'),
      'ERR_KEYSET_UNTRUSTED',
    );
    expect((await disk.licensor.getTrust(admin)).keysetVersion).toBe(0);
  });

  it('a state written before key sets existed keeps its seal and trusts the shipped keys', async () => {
    const disk = await licensed();
    const document = JSON.parse(disk.stateFile()) as Record<string, unknown>;
    delete document.keysets;
    await new FileStore(disk.dir).saveState(document as never);
    const info = await disk.open().getLicenseInfo(admin);
    expect(info).toMatchObject({ state: 'active', keysetVersion: 0 });
  });
});

describe('a license key with the key sets it needs (offline bundle)', () => {
  it('applies the key sets and the key in one write, skipping versions already held', async () => {
    const disk = await licensed();
    await disk.licensor.applyKeysets(admin, v1);
    const { challenge } = await disk.licensor.createChallenge(admin);
    // Signed by L2, with versions 1 (held), 2 and 3 before it: 3 revokes L1, and the key
    // being applied replaces the license L1 signed.
    const bundle =
      [v1, v2, v3].map((t) => armour(t, 'keyset')).join('') +
      armour(answer(challenge, {}, L2), 'license');
    const result = await disk.licensor.applyLicenseKey(admin, bundle);
    expect(result).toMatchObject({ keysetVersion: 3, info: { state: 'active', keysetVersion: 3 } });
    const trusted = await disk.open().getTrust(admin);
    expect(trusted.keys.map((key) => key.kid)).not.toContain(L1.kid);
    const entry = (await disk.licensor.listAudit(admin)).filter((e) => e.action === 'apply').at(-1);
    expect(entry?.detail).toContain('key set version 3');
  });

  it('refuses a paste longer than a license key and the key sets a bundle carries (ERR_INPUT_TOO_LARGE), saying so; the state file is unchanged', async () => {
    const disk = await licensed();
    await disk.licensor.createChallenge(admin);
    const before = disk.stateFile();
    const trustBefore = await disk.licensor.getTrust(admin);
    const huge = '-----BEGIN A-----'.repeat(16_000);
    await expect(disk.licensor.applyLicenseKey(admin, huge)).rejects.toMatchObject({
      code: 'ERR_INPUT_TOO_LARGE',
      message: expect.stringMatching(/longer than a license key/),
    });
    await expect(disk.licensor.applyKeysets(admin, huge)).rejects.toMatchObject({
      code: 'ERR_KEYSET_INVALID',
      reason: 'ERR_INPUT_TOO_LARGE',
    });
    expect(disk.stateFile()).toBe(before);
    expect(await disk.licensor.getTrust(admin)).toEqual(trustBefore);
  });

  it('refuses the whole paste when a key set in it is forged; the state file is unchanged', async () => {
    const disk = await licensed();
    const { challenge } = await disk.licensor.createChallenge(admin);
    const before = disk.stateFile();
    const bundle = armour(forged, 'keyset') + armour(answer(challenge, {}, L2), 'license');
    await expect(disk.licensor.applyLicenseKey(admin, bundle)).rejects.toMatchObject({
      code: 'ERR_KEYSET_UNTRUSTED',
    });
    expect(disk.stateFile()).toBe(before);
  });

  it('a key set in the bundle that drops a key still in use, with no replacement, refuses it all', async () => {
    const disk = await licensed();
    const { challenge } = await disk.licensor.createChallenge(admin);
    const before = disk.stateFile();
    // Version 3 revokes L1, and the key in the bundle is itself signed by L1.
    const bundle =
      [v1, v2, v3].map((t) => armour(t, 'keyset')).join('') +
      armour(answer(challenge, {}, L1), 'license');
    await expect(disk.licensor.applyLicenseKey(admin, bundle)).rejects.toMatchObject({
      code: 'ERR_KID_UNKNOWN',
    });
    expect(disk.stateFile()).toBe(before);
  });
});
