import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SQLITE_FILE } from '../data-folder.js';
import {
  BACKSTOP_FRAMES,
  CHECKPOINT_AT_FRAMES,
  Checkpointer,
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

function opened(options: { checkpointThread?: boolean } = {}) {
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
      const open = (file: string) =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
          } catch {
            return false;
          }
        }).length;
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
});
