import { spawnSync } from 'node:child_process';
import { fstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { descriptorsOn } from '../../../test/support/descriptors.js';
import { hasPythonFcntl } from '../../../test/support/python-fcntl.js';
import { SQLITE_FILE } from '../data-folder.js';
import {
  BACKSTOP_FRAMES,
  CHECKPOINT_AT_FRAMES,
  Checkpointer,
  type CheckpointerOptions,
  ShmHold,
  SQLITE_AUTOCHECKPOINT_FRAMES,
  writerAutocheckpoint,
} from './checkpointer.js';
import { type CheckRow, NonceWriter } from './nonce-writer.js';
import { SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function opened(options: { checkpointThread?: boolean; checkpointer?: CheckpointerOptions } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'licensor-checkpointer-'));
  dirs.push(dir);
  const store = SqliteStore.open(dir, options);
  closers.push(() => store.close());
  const file = join(dir, SQLITE_FILE);
  // A second connection writing, as a writer thread does: the autocheckpoint it is given.
  const writer = new Database(file);
  writer.pragma(`wal_autocheckpoint = ${writerAutocheckpoint(file)}`);
  writer.exec('CREATE TABLE filler (page BLOB)');
  closers.push(() => writer.close());
  const internals = store as unknown as {
    checkpointer: Checkpointer | null;
    db: Database.Database;
  };
  return { store, file, writer, checkpointer: internals.checkpointer, db: internals.db };
}

/** Commits `count` transactions of one page-sized row each: about a log frame apiece. */
function fill(writer: Database.Database, count: number): void {
  const insert = writer.prepare('INSERT INTO filler (page) VALUES (randomblob(3900))');
  for (let i = 0; i < count; i += 1) insert.run();
}

/** Frames in the log (the whole log, copied or not); checkpoints what a reader allows. */
function logFrames(file: string): number {
  const other = new Database(file);
  try {
    return (other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
  } finally {
    other.close();
  }
}

/**
 * What another process is told when it asks for an exclusive lock on one byte of `file`
 * (fcntl F_SETLK, as SQLite asks for the -shm "dead man switch" byte 128 when it opens a store it
 * believes no one else has open): 'granted', 'refused', or 'absent' (no such file).
 */
function otherProcessLocks(file: string, byte: number): string {
  const script = [
    'import fcntl, os, sys',
    'try:',
    '    fd = os.open(sys.argv[1], os.O_RDWR)',
    'except FileNotFoundError:',
    "    print('absent')",
    '    sys.exit(0)',
    'try:',
    '    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))',
    "    print('granted')",
    'except OSError:',
    "    print('refused')",
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, file, String(byte)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout.trim();
}

describe('the checkpoint thread (checkpointer.ts)', () => {
  it('copies the log into the file once 500 frames wait, so the next commit starts the log again', async () => {
    const { file, writer, checkpointer } = opened();
    expect(checkpointer).not.toBeNull();
    fill(writer, CHECKPOINT_AT_FRAMES + 100);
    await vi.waitFor(() => expect(checkpointer!.checkpoints).toBeGreaterThan(0), {
      timeout: 5_000,
      interval: 10,
    });
    fill(writer, 1);
    // The writer itself never checkpointed (its backstop is 10,000 frames): the thread did.
    expect(logFrames(file)).toBeLessThan(10);
    expect(checkpointer!.errors).toBe(0);
  });

  it('leaves a log of fewer than 500 frames alone', async () => {
    const { file, writer, checkpointer } = opened();
    fill(writer, 50);
    const polls = checkpointer!.polls;
    await vi.waitFor(() => expect(checkpointer!.polls).toBeGreaterThan(polls + 5), {
      timeout: 5_000,
      interval: 10,
    });
    expect(checkpointer!.checkpoints).toBe(0);
    expect(logFrames(file)).toBeGreaterThanOrEqual(50);
  });

  it('without it (checkpointThread: false) the log is left to the committing connection, at SQLite default', async () => {
    const { file, writer, checkpointer, db } = opened({ checkpointThread: false });
    expect(checkpointer).toBeNull();
    expect(writerAutocheckpoint(file)).toBe(SQLITE_AUTOCHECKPOINT_FRAMES);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_AUTOCHECKPOINT_FRAMES);
    fill(writer, CHECKPOINT_AT_FRAMES + 100);
    fill(writer, 1);
    // Below the connection's 1,000 frames nothing was checkpointed: the log holds it all.
    expect(logFrames(file)).toBeGreaterThan(CHECKPOINT_AT_FRAMES);
  });

  it("gives the store's connections the 10,000-frame backstop while it runs, and SQLite's default after close", async () => {
    const { store, file, db } = opened();
    expect(writerAutocheckpoint(file)).toBe(BACKSTOP_FRAMES);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_FRAMES);
    await store.close();
    expect(writerAutocheckpoint(file)).toBe(SQLITE_AUTOCHECKPOINT_FRAMES);
  });

  it("gives the store's writer threads the backstop: a log past 1,000 frames is left to the checkpoint thread, not copied in their COMMIT", async () => {
    /** Frames left in the log after the check writer commits 1,200 page-sized records, then one. */
    const afterWriterCommits = async (file: string): Promise<number> => {
      const checks = new NonceWriter(file);
      closers.push(() => checks.close());
      const row = (i: number): CheckRow => [
        `chk_${i}`,
        i,
        'lic_1',
        'ins_1',
        'x'.repeat(3900),
        1,
        'valid',
      ];
      await checks.record(Array.from({ length: 1_200 }, (_, i) => row(i)));
      await checks.record([row(1_200)]);
      return logFrames(file);
    };
    const { file: withThread } = opened({ checkpointThread: false });
    // A checkpoint thread that never checkpoints: only the writer's own setting is at work.
    const idle = new Checkpointer(withThread, { atFrames: Number.MAX_SAFE_INTEGER });
    closers.push(() => idle.close());
    expect(await afterWriterCommits(withThread)).toBeGreaterThan(SQLITE_AUTOCHECKPOINT_FRAMES);
    // Without a checkpoint thread the writer checkpoints at SQLite's 1,000: the log starts again.
    const { file: without } = opened({ checkpointThread: false });
    expect(await afterWriterCommits(without)).toBeLessThan(10);
  });

  it.runIf(process.platform === 'linux')(
    'closes its connection and descriptors with the store, whether it had started or not',
    async () => {
      const open = descriptorsOn;
      for (const started of [false, true]) {
        const { store, file, writer, checkpointer } = opened();
        writer.close();
        if (started) {
          await vi.waitFor(() => expect(checkpointer!.polls).toBeGreaterThan(2), {
            timeout: 5_000,
            interval: 5,
          });
          expect(open(file)).toBeGreaterThan(0);
        }
        await store.close();
        expect(open(file)).toBe(0);
      }
    },
  );

  it.runIf(process.platform === 'linux' && hasPythonFcntl)(
    "closing one store leaves the other's SQLite locks on -shm in place: another process is still refused the dead-man byte",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'licensor-checkpointer-'));
      dirs.push(dir);
      const a = SqliteStore.open(dir);
      closers.push(() => a.close());
      const b = SqliteStore.open(dir);
      closers.push(() => b.close());
      const threads = [a, b].map(
        (store) => (store as unknown as { checkpointer: Checkpointer }).checkpointer,
      );
      // Both threads have read the -shm header (before the fix each through a descriptor of its own).
      await vi.waitFor(() => expect(Math.min(...threads.map((t) => t.polls))).toBeGreaterThan(2), {
        timeout: 5_000,
        interval: 5,
      });
      const shm = `${join(dir, SQLITE_FILE)}-shm`;
      expect(otherProcessLocks(shm, 128)).toBe('refused');
      await a.close();
      // b is open and serving: its connection's shared lock on byte 128 must still be held.
      await b.ping();
      expect(otherProcessLocks(shm, 128)).toBe('refused');
      await b.close();
      // SQLite removes -shm as the last connection closes; if it is still there, it is free.
      expect(otherProcessLocks(shm, 128)).not.toBe('refused');
    },
  );

  it.runIf(process.platform === 'linux' && hasPythonFcntl)(
    'a thread given the descriptor does not close it when it ends, and a store left open keeps its locks',
    async () => {
      const { file, writer } = opened({ checkpointThread: false });
      writer.close();
      const extra = new Checkpointer(file);
      await vi.waitFor(() => expect(extra.polls).toBeGreaterThan(2), {
        timeout: 5_000,
        interval: 5,
      });
      const hold = new ShmHold(file);
      const fd = hold.descriptor();
      if (fd === null) throw new Error('the store has no -shm file');
      await extra.close();
      // The thread has ended; the descriptor the main thread gave it is still open here.
      expect(fstatSync(fd).isFile()).toBe(true);
      expect(otherProcessLocks(`${file}-shm`, 128)).toBe('refused');
      hold.release();
    },
  );

  it.runIf(process.platform === 'linux')(
    'closing the last store on a file leaves no descriptor on it, and opens the next store a new one',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'licensor-checkpointer-'));
      dirs.push(dir);
      const file = join(dir, SQLITE_FILE);
      for (let round = 0; round < 2; round += 1) {
        const a = SqliteStore.open(dir);
        const b = SqliteStore.open(dir, { checkpointThread: false });
        const thread = (a as unknown as { checkpointer: Checkpointer }).checkpointer;
        await vi.waitFor(() => expect(thread.polls).toBeGreaterThan(2), {
          timeout: 5_000,
          interval: 5,
        });
        await a.close();
        // b (no thread of its own) still holds its SQLite locks after a's thread and hold are gone.
        if (hasPythonFcntl) expect(otherProcessLocks(`${file}-shm`, 128)).toBe('refused');
        await b.close();
        expect(descriptorsOn(file)).toBe(0);
      }
    },
  );

  it('a thread that dies at start stops counting: a connection opened after it gets SQLite default, not a backstop with no thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-checkpointer-'));
    dirs.push(dir);
    // A -shm file with no database beside it: the thread's connection cannot open.
    const file = join(dir, SQLITE_FILE);
    writeFileSync(`${file}-shm`, '');
    const failing = new Checkpointer(file);
    closers.push(() => failing.close());
    await vi.waitFor(() => expect(failing.error).not.toBeNull(), { timeout: 5_000, interval: 5 });
    expect(String((failing.error as Error).message)).toMatch(/unable to open database file/);
    await vi.waitFor(() => expect(writerAutocheckpoint(file)).toBe(SQLITE_AUTOCHECKPOINT_FRAMES), {
      timeout: 5_000,
      interval: 5,
    });
  });

  it("closes the checkpoint thread and the store's connection even when a writer's close fails, and keeps the -shm locks of the writer still open", async () => {
    const { store, file, db } = opened();
    // The check writer's thread and its connection running (it starts with its first nonce).
    expect(
      await store.chains.admitNonce(
        'inst',
        'n1',
        Math.floor(Date.now() / 1000),
        Date.now() + 60_000,
        Date.now(),
      ),
    ).toBe(true);
    const internals = store as unknown as {
      nonces: { close(): Promise<void> };
      issues: { close(): Promise<void> } | null;
    };
    const close = internals.nonces.close.bind(internals.nonces);
    closers.push(close);
    internals.nonces.close = () => Promise.reject(new Error('the writer could not close (test)'));
    let issuesClosed = false;
    const issues = internals.issues;
    if (issues !== null) {
      const closeIssues = issues.close.bind(issues);
      issues.close = () => {
        issuesClosed = true;
        return closeIssues();
      };
    }
    await expect(store.close()).rejects.toThrow('the writer could not close (test)');
    expect(db.open).toBe(false);
    expect(writerAutocheckpoint(file)).toBe(SQLITE_AUTOCHECKPOINT_FRAMES);
    if (issues !== null) expect(issuesClosed).toBe(true);
    // The check writer's connection is still open: another process is still refused the lock.
    if (hasPythonFcntl) expect(otherProcessLocks(`${file}-shm`, 128)).toBe('refused');
  });

  it('opens a store whose log is not in WAL mode (no -shm file): nothing held, the thread reads nothing and never checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-checkpointer-'));
    dirs.push(dir);
    const file = join(dir, SQLITE_FILE);
    const plain = new Database(file);
    plain.exec('CREATE TABLE t (x)');
    closers.push(() => plain.close());
    expect(plain.pragma('journal_mode', { simple: true })).toBe('delete');
    const hold = new ShmHold(file);
    expect(hold.descriptor()).toBeNull();
    hold.release();
    const thread = new Checkpointer(file);
    closers.push(() => thread.close());
    await vi.waitFor(() => expect(thread.polls).toBeGreaterThan(2), {
      timeout: 5_000,
      interval: 5,
    });
    expect(thread.checkpoints + thread.errors + thread.busy).toBe(0);
    expect(thread.error).toBeNull();
  });

  it("a checkpoint that fails is counted, with its code, message and time, in the store's logHealth(); and the log's frames wait", async () => {
    const failCheckpoints = { code: 'SQLITE_FULL', message: 'database or disk is full' };
    const { store, writer, checkpointer } = opened({
      checkpointer: { atFrames: 5, faults: { failCheckpoints } },
    });
    const before = Date.now();
    fill(writer, 20);
    await vi.waitFor(() => expect(store.logHealth().lastFailure).not.toBeNull(), {
      timeout: 5_000,
      interval: 10,
    });
    const health = store.logHealth();
    expect(health).toMatchObject({
      kind: 'sqlite',
      checkpointThread: 'running',
      checkpoints: 0,
      lastFailure: { code: 'SQLITE_FULL', message: 'database or disk is full' },
      threadDeaths: 0,
      lastThreadDeath: null,
    });
    expect(health.kind === 'sqlite' && health.checkpointFailures).toBeGreaterThanOrEqual(1);
    expect(health.kind === 'sqlite' && health.lastFailure!.at).toBeGreaterThanOrEqual(before);
    // Nothing was copied: the 20 frames still wait, in a log of at least that many pages.
    expect(health.kind === 'sqlite' && health.framesWaiting).toBeGreaterThanOrEqual(20);
    expect(health.kind === 'sqlite' && health.walBytes).toBeGreaterThanOrEqual(20 * 4096);
    // Tried again a second later (RETRY_AFTER_ERROR_MS), not at every 10 ms poll.
    expect(checkpointer!.errors).toBeLessThanOrEqual(2);
  });

  it("logHealth() of a store without the thread: 'off', the log's size and frames waiting, no counts", async () => {
    const { store, writer } = opened({ checkpointThread: false });
    fill(writer, 30);
    const health = store.logHealth();
    expect(health).toMatchObject({
      kind: 'sqlite',
      checkpointThread: 'off',
      checkpoints: 0,
      checkpointFailures: 0,
      lastFailure: null,
    });
    expect(health.kind === 'sqlite' && health.framesWaiting).toBeGreaterThanOrEqual(30);
    expect(health.kind === 'sqlite' && health.walBytes).toBeGreaterThanOrEqual(30 * 4096);
    await store.close();
    // Closed: the -shm header is no longer read.
    expect(store.logHealth()).toMatchObject({ framesWaiting: null });
  });

  it('a thread that stops on its own is seen (logHealth: restarting, its cause) and started again: it checkpoints and the backstop applies again', async () => {
    const { store, file, writer, checkpointer } = opened({
      checkpointer: { faults: { dieAtPoll: 3 }, restartAfterMs: 300 },
    });
    await vi.waitFor(() => expect(store.logHealth()).toMatchObject({ threadDeaths: 1 }), {
      timeout: 5_000,
      interval: 5,
    });
    const dead = store.logHealth();
    expect(dead).toMatchObject({
      checkpointThread: 'restarting',
      lastThreadDeath: { message: 'the checkpoint thread stopped (test)' },
    });
    // No thread: a connection opened now gets SQLite's own 1,000 frames.
    expect(writerAutocheckpoint(file)).toBe(SQLITE_AUTOCHECKPOINT_FRAMES);
    await vi.waitFor(() => expect(store.logHealth().checkpointThread).toBe('running'), {
      timeout: 5_000,
      interval: 5,
    });
    expect(writerAutocheckpoint(file)).toBe(BACKSTOP_FRAMES);
    fill(writer, CHECKPOINT_AT_FRAMES + 100);
    await vi.waitFor(() => expect(checkpointer!.checkpoints).toBeGreaterThan(0), {
      timeout: 5_000,
      interval: 10,
    });
    expect(store.logHealth()).toMatchObject({ threadDeaths: 1, checkpointThread: 'running' });
  });

  it('a store closed while its thread runs a statement in SQLite at start waits for it rather than terminating it: the process lives on', async () => {
    // Before the fix close() terminated the thread inside the statement, which then failed:
    // better-sqlite3 built the error while V8 was terminating the thread and the process aborted
    // ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal"), taking this test's worker with it.
    const { store, file, writer, checkpointer } = opened({
      checkpointer: { faults: { slowStartError: true } },
    });
    writer.close();
    // The thread is inside its start's statement (about 0.7 s in SQLite) once it has booted.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store.close();
    expect(String((checkpointer!.error as Error | null)?.message)).toMatch(/integer overflow/);
    expect(store.logHealth()).toMatchObject({ checkpointThread: 'closed', threadDeaths: 0 });
    if (process.platform === 'linux') expect(descriptorsOn(file)).toBe(0);
  });
});
