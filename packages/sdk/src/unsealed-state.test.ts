// A state without a seal (format 1, written by an SDK before seals) is read only where no sealed
// state was ever written: the first sealed write leaves a mark beside the installation key
// (installation-key.json), so an editor who strips the seal from state.json, says `v: 1` and
// empties audit.jsonl has an edit named (ERR_STATE_TAMPERED), and nothing changes. A format-1
// state that carries what only a sealing SDK writes is an edit as well.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  admin,
  answer,
  FrozenClock,
  goldenInstallationKey,
  setup,
  trust,
} from '../test/fixtures.js';
import { v1 } from '../test/keysets.js';
import { createLicensor } from './licensor.js';
import { AUDIT_FILE, FileStore, KEY_FILE, STATE_FILE } from './store/file-store.js';
import { MemoryStore } from './store/memory-store.js';

function onDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-unsealed-'));
  const clock = new FrozenClock();
  const open = () =>
    createLicensor({
      store: new FileStore(dir),
      trust,
      product: { name: 'CMS', version: '5.2.0' },
      now: clock.now,
    });
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  return { dir, clock, open, read, write };
}

/** The state as format 1 had it: no seal, no audit anchor. */
function unsealed(text: string, change: Record<string, unknown> = {}): string {
  const { seal: _seal, audit: _audit, ...rest } = JSON.parse(text);
  return JSON.stringify({ ...rest, v: 1, ...change });
}

/** An installation with a license applied, its key file as an SDK before the mark left it. */
async function licensedWithoutMark() {
  const disk = onDisk();
  const licensor = disk.open();
  const { challenge } = await licensor.createChallenge(admin);
  await licensor.applyLicenseKey(admin, answer(challenge));
  const { sealed: _sealed, ...key } = JSON.parse(disk.read(KEY_FILE));
  disk.write(KEY_FILE, JSON.stringify(key));
  return disk;
}

/** What an SDK before seals left: also a state without seal or anchor, and no audit trail. */
async function legacyInstallation() {
  const disk = await licensedWithoutMark();
  const legacy = unsealed(disk.read(STATE_FILE));
  disk.write(STATE_FILE, legacy);
  disk.write(AUDIT_FILE, '');
  return { disk, legacy };
}

describe('a state without a seal', () => {
  it('is ERR_STATE_TAMPERED once this installation wrote a sealed state, even with the audit trail emptied', async () => {
    const disk = onDisk();
    const licensor = disk.open();
    const first = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(first.challenge, { credentials: 10 }));
    const older = JSON.parse(disk.read(STATE_FILE));
    const second = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(second.challenge, { rev: 2, credentials: 500 }));
    // By hand, without the installation key: revision 1's license copied back, the seal
    // stripped, format 1 claimed, the trail emptied.
    disk.write(STATE_FILE, unsealed(disk.read(STATE_FILE), { license: older.license }));
    disk.write(AUDIT_FILE, '');
    const edited = disk.read(STATE_FILE);
    const reopened = disk.open();
    await expect(reopened.capacity(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
    await expect(reopened.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    await expect(reopened.createChallenge(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    expect(disk.read(STATE_FILE)).toBe(edited);
  });

  it('of an SDK before seals is read and sealed at the next change; from then on the seal cannot be stripped', async () => {
    const { disk, legacy } = await legacyInstallation();
    const upgraded = disk.open();
    await upgraded.createChallenge(admin);
    expect((await upgraded.getLicenseInfo(admin)).state).toBe('active');
    expect(JSON.parse(disk.read(STATE_FILE))).toMatchObject({ v: 2, seal: expect.any(String) });
    expect(JSON.parse(disk.read(KEY_FILE))).toMatchObject({ sealed: true });
    // The same legacy state put back, trail emptied: an edit now.
    disk.write(STATE_FILE, legacy);
    disk.write(AUDIT_FILE, '');
    await expect(disk.open().getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
    expect(disk.read(STATE_FILE)).toBe(legacy);
  });

  it('of an SDK before seals whose first use is a read is sealed with that read and loads again', async () => {
    const { disk } = await legacyInstallation();
    // The upgraded CMS only shows the license page: a read, whose audit entry is the first of
    // the chain. The state is sealed with it (it read as a stripped seal at the next load).
    expect((await disk.open().getLicenseInfo(admin)).state).toBe('active');
    expect(JSON.parse(disk.read(STATE_FILE))).toMatchObject({ v: 2, seal: expect.any(String) });
    const again = disk.open();
    expect((await again.capacity(0)).limit).toBeGreaterThan(0);
    expect((await again.getLicenseInfo(admin)).state).toBe('active');
    expect(await again.verifyAudit(admin)).toMatchObject({ ok: true, firstBroken: null });
  });

  it('sealed by an SDK before the mark: the key is marked at the first load, so a seal stripped before any write is named', async () => {
    const disk = await licensedWithoutMark();
    // The upgraded SDK only reads (capacity writes nothing) and the key is marked.
    expect((await disk.open().capacity(0)).limit).toBeGreaterThan(0);
    expect(JSON.parse(disk.read(KEY_FILE))).toMatchObject({ sealed: true });
    disk.write(STATE_FILE, unsealed(disk.read(STATE_FILE)));
    disk.write(AUDIT_FILE, '');
    const edited = disk.read(STATE_FILE);
    await expect(disk.open().capacity(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
    expect(disk.read(STATE_FILE)).toBe(edited);
  });

  it('that carries what only a sealing SDK writes (key sets, closed requests, a clock offset) is ERR_STATE_TAMPERED', async () => {
    const store = new MemoryStore();
    await store.saveInstallationKey(goldenInstallationKey.privateKey);
    await setup({ store }).licensor.createChallenge(admin);
    const sealed = store.rawState()!;
    const [pending] = JSON.parse(sealed).pending;
    const cancelled = { ...pending, outcome: 'cancelled', closedAt: 1, closedBy: 'alice' };
    for (const change of [
      { clockOffset: 7200 },
      // A genuine vendor-signed version: refused for being there, not for failing to verify.
      { keysets: [v1] },
      { closed: [{ ...cancelled, reason: null }] },
      { audit: { head: null } },
    ]) {
      // A store with no mark (a CMS's own store): the contents alone must give it away.
      const raw = unsealed(sealed, change);
      const bare = new MemoryStore();
      await bare.saveInstallationKey(goldenInstallationKey.privateKey);
      bare.setRawState(raw);
      await expect(setup({ store: bare }).licensor.getLicenseInfo(admin)).rejects.toMatchObject({
        code: 'ERR_STATE_TAMPERED',
        message: expect.stringMatching(/only a sealing SDK writes/),
      });
      expect(bare.rawState()).toBe(raw);
    }
  });
});
