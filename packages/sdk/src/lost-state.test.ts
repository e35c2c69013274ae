// A state that is gone (state.json deleted, or the whole folder) is never silently made into a
// new, empty installation: the seal mark, the audit trail of changes, or the object that read it
// says the installation had one (ERR_STATE_MISSING, restore from a backup). A first run still is.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwkThumbprint, keyPairFromSeed, toPublicJwk } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, setup, viewer } from '../test/fixtures.js';
import { AUDIT_FILE, FileStore, KEY_FILE, STATE_FILE } from './store/file-store.js';
import { initialState, sealState } from './stored-state.js';

function stateDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'licensor-lost-')), 'state');
}

function open(dir: string) {
  return setup({ store: new FileStore(dir), clock: new FrozenClock() }).licensor;
}

async function licensedDir() {
  const dir = stateDir();
  const licensor = open(dir);
  const { challenge } = await licensor.createChallenge(admin);
  await licensor.applyLicenseKey(admin, answer(challenge, { credentials: 10 }));
  return { dir, licensor };
}

const bytes = (path: string) => (existsSync(path) ? readFileSync(path) : null);

describe('a lost state', () => {
  it('state.json deleted beside a sealed key: every operation is ERR_STATE_MISSING and nothing is written', async () => {
    const { dir } = await licensedDir();
    rmSync(join(dir, STATE_FILE));
    const key = bytes(join(dir, KEY_FILE));
    const licensor = open(dir);
    for (const attempt of [
      () => licensor.getLicenseInfo(admin),
      () => licensor.capacity(1),
      () => licensor.installationId(),
      () => licensor.createChallenge(admin),
      () => licensor.verifyAudit(admin),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'ERR_STATE_MISSING',
        message: expect.stringMatching(/Restore the whole state folder from a backup/),
      });
    }
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
    expect(bytes(join(dir, KEY_FILE))).toEqual(key);
  });

  it('state.json deleted and the seal mark taken off the key: the audit trail of changes still tells', async () => {
    const { dir } = await licensedDir();
    rmSync(join(dir, STATE_FILE));
    const keyPath = join(dir, KEY_FILE);
    const { sealed: _sealed, ...unmarked } = JSON.parse(readFileSync(keyPath, 'utf8'));
    writeFileSync(keyPath, `${JSON.stringify(unmarked)}\n`, { mode: 0o600 });
    await expect(open(dir).getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_MISSING',
      message: expect.stringContaining('the audit trail records 2 changes'),
    });
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });

  it('key and state deleted, the audit trail kept: no new installation key is made', async () => {
    const { dir } = await licensedDir();
    rmSync(join(dir, STATE_FILE));
    rmSync(join(dir, KEY_FILE));
    await expect(open(dir).createChallenge(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_MISSING',
    });
    expect(readdirSync(dir).sort()).toEqual([AUDIT_FILE]);
  });

  it('the whole folder removed while the CMS runs: the same object mints no new installation id', async () => {
    const { dir, licensor } = await licensedDir();
    const id = await licensor.installationId();
    rmSync(dir, { recursive: true, force: true });
    for (const attempt of [
      () => licensor.installationId(),
      () => licensor.capacity(1),
      () => licensor.getLicenseInfo(admin),
      () => licensor.createChallenge(admin),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'ERR_STATE_MISSING',
        message: expect.stringContaining(id),
      });
    }
    expect(existsSync(join(dir, KEY_FILE))).toBe(false);
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });

  it('state.json removed while the CMS runs, seal mark and trail gone too: the object that read it refuses', async () => {
    const { dir, licensor } = await licensedDir();
    await licensor.getLicenseInfo(admin);
    rmSync(join(dir, STATE_FILE));
    rmSync(join(dir, AUDIT_FILE));
    const keyPath = join(dir, KEY_FILE);
    const { sealed: _sealed, ...unmarked } = JSON.parse(readFileSync(keyPath, 'utf8'));
    writeFileSync(keyPath, `${JSON.stringify(unmarked)}\n`, { mode: 0o600 });
    await expect(licensor.capacity(1)).rejects.toMatchObject({ code: 'ERR_STATE_MISSING' });
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });

  it('a first run still begins: an empty folder, and one whose trail holds only refusals', async () => {
    const dir = stateDir();
    const licensor = open(dir);
    await expect(licensor.createChallenge(viewer)).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    // Another object (a restarted CMS) on the folder: a key and refusals, no state, no change.
    const restarted = open(dir);
    await expect(restarted.getLicenseInfo(admin)).resolves.toMatchObject({ state: 'none' });
    await expect(restarted.createChallenge(admin)).resolves.toMatchObject({
      challenge: expect.any(String),
    });
    expect(await restarted.verifyAudit(admin)).toMatchObject({ ok: true });
  });

  it('verifyAudit is not ok beside a state made anew over a trail of changes (its anchor empty)', async () => {
    const { dir } = await licensedDir();
    // What an SDK that initialised a lost state again wrote: a sealed empty state, no anchor.
    const store = new FileStore(dir);
    const seed = (await store.loadInstallationKey()) as Uint8Array;
    const id = jwkThumbprint(toPublicJwk(keyPairFromSeed(seed).publicKey));
    await store.saveState(sealState(initialState(id), seed));
    const result = await open(dir).verifyAudit(admin);
    expect(result).toMatchObject({ ok: false, firstBroken: { entry: 3 } });
    expect(result.firstBroken?.reason).toMatch(
      /the state records no change, but the trail holds 2/,
    );
  });
});
