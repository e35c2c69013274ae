// A writer thread whose sync failed (EIO) checkpoints the whole log (wal_checkpoint(TRUNCATE))
// before writing anything more (sync-pipeline.ts recover()). SQLite answers that checkpoint busy
// at once, without its busy handler, while another connection holds the checkpoint lock (the
// store's checkpoint thread copying a 21 GB store's log, another process): the writer retries
// for up to the busy timeout instead of refusing the group, and refuses it, writing nothing, only
// when the lock is held longer.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasPythonFcntl } from '../../../test/support/python-fcntl.js';
import { SQLITE_FILE } from '../data-folder.js';
import type { WriterFaults } from './nonce-writer.js';
import { SqliteStore } from './sqlite-store.js';

const NOW = Date.UTC(2026, 5, 1);
const HELD = NOW + 600_000;
const IAT = NOW / 1000;
/** The wal-index lock bytes of -shm (https://www.sqlite.org/walformat.html): 120 + 1. */
const CHECKPOINT_LOCK_BYTE = 121;

let dir: string;
let cleanup: (() => unknown)[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-recover-'));
  cleanup = [];
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Another process holding an exclusive fcntl lock on one byte of `file` (as SQLite's checkpoint
 * lock is held by a connection checkpointing) until `release()` closes its stdin.
 */
async function otherProcessHolds(
  file: string,
  byte: number,
): Promise<{ release(): Promise<void> }> {
  const script = [
    'import fcntl, os, sys',
    'fd = os.open(sys.argv[1], os.O_RDWR)',
    'fcntl.lockf(fd, fcntl.LOCK_EX, 1, int(sys.argv[2]))',
    "print('locked', flush=True)",
    'sys.stdin.read()',
  ].join('\n');
  const child: ChildProcessWithoutNullStreams = spawn('python3', [
    '-c',
    script,
    file,
    String(byte),
  ]);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  let released = false;
  const release = async () => {
    if (!released) child.stdin.end();
    released = true;
    await exited;
  };
  cleanup.push(release);
  return { release };
}

function open(checkWriterFaults: WriterFaults): SqliteStore {
  const store = SqliteStore.open(dir, { checkWriterFaults, checkpointThread: false });
  cleanup.push(() => store.close());
  return store;
}

function storedNonces(): string[] {
  const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
  try {
    return (
      db
        .prepare("SELECT installation_id || '.' || nonce AS key FROM check_nonces ORDER BY key")
        .all() as { key: string }[]
    ).map((row) => row.key);
  } finally {
    db.close();
  }
}

function counter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

describe.runIf(process.platform === 'linux' && hasPythonFcntl)(
  "a poisoned writer's checkpoint while another connection checkpoints (recover())",
  () => {
    it('waits for the checkpoint lock and answers the next group, instead of refusing it at once', async () => {
      const recoverBusy = counter();
      const store = open({ failSyncAt: 1, recoverBusy });
      await expect(store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message: expect.stringContaining('EIO'),
      });
      const lock = await otherProcessHolds(`${join(dir, SQLITE_FILE)}-shm`, CHECKPOINT_LOCK_BYTE);
      let answered = false;
      const next = store.chains.admitNonce('inst', 'b', IAT, HELD, NOW).finally(() => {
        answered = true;
      });
      // The writer met the lock (busy) and is still waiting for it: nothing answered yet.
      await vi.waitFor(() => expect(Atomics.load(recoverBusy, 0)).toBeGreaterThan(1), {
        timeout: 4_000,
        interval: 2,
      });
      expect(answered).toBe(false);
      await lock.release();
      expect(await next).toBe(true);
      expect(storedNonces()).toEqual(['inst.a', 'inst.b']);
    });

    it('refuses the group with ERR_STORE_UNAVAILABLE naming the busy checkpoint if the lock is held past the busy timeout, writes nothing, and recovers once it is free', async () => {
      const recoverBusy = counter();
      const store = open({ failSyncAt: 1, recoverBusy, recoverBusyMs: 50 });
      await expect(store.chains.admitNonce('inst', 'a', IAT, HELD, NOW)).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
      });
      const before = storedNonces();
      const lock = await otherProcessHolds(`${join(dir, SQLITE_FILE)}-shm`, CHECKPOINT_LOCK_BYTE);
      await expect(store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message: expect.stringContaining('busy for 50 ms'),
      });
      expect(Atomics.load(recoverBusy, 0)).toBeGreaterThan(1);
      expect(storedNonces()).toEqual(before);
      await lock.release();
      expect(await store.chains.admitNonce('inst', 'b', IAT, HELD, NOW)).toBe(true);
      expect(storedNonces()).toEqual([...before, 'inst.b'].sort());
    });
  },
);
