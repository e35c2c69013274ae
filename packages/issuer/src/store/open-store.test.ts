import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputInvalidError } from '../errors.js';
import {
  checkpointThreadFromEnv,
  issueThreadFromEnv,
  openStore,
  SQLITE_FILE,
} from './open-store.js';
import type { LicensorStore } from './ports.js';

const dirs: string[] = [];
const stores: LicensorStore[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-open-store-'));
  dirs.push(dir);
  return dir;
}

async function opened(options: Parameters<typeof openStore>[0]): Promise<LicensorStore> {
  const store = await openStore(options);
  stores.push(store);
  return store;
}

/** Each spelling other than on/off refused with ERR_INPUT_INVALID naming it, no store made. */
async function expectEveryOtherValueRefused(variable: string): Promise<void> {
  for (const value of ['0', 'false', 'OFF', 'yes', ' off']) {
    vi.stubEnv(variable, value);
    const dir = freshDir();
    const refused = await openStore({ dataDir: dir }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(InputInvalidError);
    expect(refused).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect((refused as Error).message).toContain(variable);
    expect((refused as Error).message).toContain('set it to on (the default) or off');
    expect(existsSync(join(dir, SQLITE_FILE))).toBe(false);
  }
}

/** Whether the SQLite store commits issues on its writer thread (null: on the event loop). */
function hasIssueThread(store: LicensorStore): boolean {
  return (store as unknown as { issues: unknown }).issues !== null;
}

describe('LICENSOR_SQLITE_ISSUE_THREAD', () => {
  it('commits on a thread of their own when unset or on, on the event loop when off', async () => {
    expect(hasIssueThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'on');
    expect(hasIssueThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'off');
    expect(hasIssueThread(await opened({ dataDir: freshDir() }))).toBe(false);
  });

  it('gives way to the option the caller passes', async () => {
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'off');
    expect(hasIssueThread(await opened({ dataDir: freshDir(), sqliteIssueThread: true }))).toBe(
      true,
    );
    vi.stubEnv('LICENSOR_SQLITE_ISSUE_THREAD', 'on');
    expect(hasIssueThread(await opened({ dataDir: freshDir(), sqliteIssueThread: false }))).toBe(
      false,
    );
  });

  it('refuses any other value with ERR_INPUT_INVALID naming the variable, and makes no store', async () => {
    await expectEveryOtherValueRefused('LICENSOR_SQLITE_ISSUE_THREAD');
    expect(issueThreadFromEnv('off')).toBe(false);
    expect(issueThreadFromEnv('')).toBe(true);
  });
});

/** Whether the SQLite store checkpoints its log on a thread of its own (checkpointer.ts). */
function hasCheckpointThread(store: LicensorStore): boolean {
  return (store as unknown as { checkpointer: unknown }).checkpointer !== null;
}

describe('LICENSOR_SQLITE_CHECKPOINT_THREAD', () => {
  it('checkpoints on a thread of its own when unset or on, in the COMMIT when off; the option wins', async () => {
    expect(hasCheckpointThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', 'on');
    expect(hasCheckpointThread(await opened({ dataDir: freshDir() }))).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', 'off');
    expect(hasCheckpointThread(await opened({ dataDir: freshDir() }))).toBe(false);
    const asked = await opened({ dataDir: freshDir(), sqliteCheckpointThread: true });
    expect(hasCheckpointThread(asked)).toBe(true);
    vi.stubEnv('LICENSOR_SQLITE_CHECKPOINT_THREAD', 'on');
    const off = await opened({ dataDir: freshDir(), sqliteCheckpointThread: false });
    expect(hasCheckpointThread(off)).toBe(false);
  });

  it('refuses any other value with ERR_INPUT_INVALID naming the variable, and makes no store', async () => {
    await expectEveryOtherValueRefused('LICENSOR_SQLITE_CHECKPOINT_THREAD');
    expect(checkpointThreadFromEnv('off')).toBe(false);
    expect(checkpointThreadFromEnv('')).toBe(true);
  });
});
