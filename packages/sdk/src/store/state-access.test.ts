// A state folder the CMS's account may not write (read-only, wrong owner) is ERR_STATE_ACCESS,
// which says to fix the access: not ERR_STATE_CORRUPT, whose answer (restore from a backup)
// would be wrong. The tests run as any user, root included: the file system refuses through a
// mock of node:fs/promises while `denied` is set.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

let denied: string | null = null;

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const refuse = (path: unknown) => {
    if (denied === null) return;
    const error = Object.assign(new Error(`${denied}: ${String(path)}`), { code: denied });
    throw error;
  };
  return {
    ...actual,
    writeFile: async (path: Parameters<typeof actual.writeFile>[0], ...rest: unknown[]) => {
      refuse(path);
      return (actual.writeFile as (...args: unknown[]) => Promise<void>)(path, ...rest);
    },
    open: async (path: Parameters<typeof actual.open>[0], ...rest: unknown[]) => {
      if (rest[0] !== 'r') refuse(path);
      return (actual.open as (...args: unknown[]) => ReturnType<typeof actual.open>)(path, ...rest);
    },
  };
});

const { admin, answer, FrozenClock, setup } = await import('../../test/fixtures.js');
const { FileStore, STATE_FILE } = await import('./file-store.js');
const { fileError } = await import('./file-error.js');

afterEach(() => {
  denied = null;
});

async function licensedDir() {
  const dir = join(mkdtempSync(join(tmpdir(), 'licensor-access-')), 'state');
  const { licensor } = setup({ store: new FileStore(dir) });
  const { challenge } = await licensor.createChallenge(admin);
  await licensor.applyLicenseKey(admin, answer(challenge, { credentials: 10 }));
  return dir;
}

describe('a state folder that cannot be written', () => {
  it('View License and Get challenge are ERR_STATE_ACCESS saying to fix the access, the state unchanged', async () => {
    const dir = await licensedDir();
    const before = readFileSync(join(dir, STATE_FILE));
    const licensor = setup({ store: new FileStore(dir), clock: new FrozenClock() }).licensor;
    denied = 'EACCES';
    for (const attempt of [
      () => licensor.getLicenseInfo(admin),
      () => licensor.createChallenge(admin),
    ]) {
      const error = await attempt().catch((caught) => caught);
      expect(error).toMatchObject({ code: 'ERR_STATE_ACCESS', reason: 'EACCES' });
      expect(error.message).toMatch(/give that account read and write access/);
      expect(error.message).toMatch(/not damaged; do not restore or delete anything/);
    }
    denied = null;
    expect(readFileSync(join(dir, STATE_FILE))).toEqual(before);
    await expect(licensor.getLicenseInfo(admin)).resolves.toMatchObject({ state: 'active' });
  });

  it.each([
    ['EROFS', /read-only: mount it writable/],
    ['ENOSPC', /full: make room/],
    ['EPERM', /read and write access/],
  ])('names %s as access, not damage', (code, words) => {
    const error = fileError('/var/lib/cms/license/state.json', 'write', { code }) as Error & {
      code: string;
    };
    expect(error).toMatchObject({ code: 'ERR_STATE_ACCESS', reason: code });
    expect(error.message).toMatch(words);
  });

  it('keeps ERR_STATE_CORRUPT for a file that is not what it should be (EISDIR)', () => {
    expect(fileError('/x/state.json', 'read', { code: 'EISDIR' })).toMatchObject({
      code: 'ERR_STATE_CORRUPT',
    });
  });
});
