// The log's checkpoint on a thread of its own (#15.3). SQLite copies the pages of committed
// transactions from the log (licensor.db-wal) into the database file at a checkpoint, and by
// default the connection whose COMMIT takes the log past 1,000 frames runs it inside that COMMIT:
// on a large store that is a thousand pages written at random places of a 20 GB file and its
// fsync, 5 ms and more, in the path of whichever group of issues or checks was committing then
// (e2e/bench/check-probe.mjs: the database file's syncs 4-6 ms on the 1M store against 1-3 on an
// empty one; the issue probe: 71 against 19 µs of wall time an issue before the writer thread).
//
// A store opened with the checkpoint thread (the default) runs the checkpoint here instead: the
// thread reads the log's frame count and how much of it is already copied from the wal-index
// header (the -shm file, https://www.sqlite.org/walformat.html: mxFrame at byte 16 of each of
// its two copies of the header, nBackfill at byte 96, native byte order) every 10 ms, and once
// 500 frames wait, runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own: it copies
// what no reader still needs, never waits for a lock and never blocks a writer. The store's
// connections (the event loop's and each writer thread's) then checkpoint in their COMMIT only
// once the log passes 10,000 frames (`wal_autocheckpoint`), a backstop should the thread fall
// behind or stop.
//
// Durability is unchanged: a commit is acknowledged after its log frames are synced, as before;
// the checkpoint only copies them, and SQLite syncs the log before and the database file after
// each copy (synchronous=NORMAL on this connection), so a crash mid-checkpoint is recovered from
// the log as it always was.

import { Worker } from 'node:worker_threads';
import { driverPath } from './sync-pipeline.js';

/** Frames waiting in the log that make the thread checkpoint. */
export const CHECKPOINT_AT_FRAMES = 500;
/** How often the thread reads the log's header (ms). */
export const CHECKPOINT_POLL_MS = 10;
/** The store's connections' own `wal_autocheckpoint` while the thread runs. */
export const BACKSTOP_FRAMES = 10_000;
/** After a checkpoint that failed, the thread waits this long before the next (ms). */
export const RETRY_AFTER_ERROR_MS = 1_000;
/** SQLite's default `wal_autocheckpoint`, what a connection keeps without the thread. */
export const SQLITE_AUTOCHECKPOINT_FRAMES = 1_000;

/** Counters the thread keeps in shared memory (indexes into `Checkpointer.#stats`). */
const POLLS = 0;
const CHECKPOINTS = 1;
const BUSY = 2;
const ERRORS = 3;

const SOURCE = `
try {
const fs = require('node:fs');
const os = require('node:os');
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const stats = new Int32Array(workerData.stats);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const header = Buffer.alloc(136);
const little = os.endianness() === 'LE';
let shm = null;

// Frames in the log not yet copied into the file, from the wal-index header; 0 when it cannot be
// read or its two copies differ (a writer is changing it: read again at the next poll).
function waiting() {
  try {
    if (shm === null) shm = fs.openSync(workerData.file + '-shm', 'r');
    if (fs.readSync(shm, header, 0, 136, 0) < 136) return 0;
  } catch {
    return 0;
  }
  if (header.compare(header, 0, 48, 48, 96) !== 0 || header[12] !== 1) return 0;
  const u32 = (at) => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const frames = u32(16);
  const copied = u32(96);
  return frames > copied ? frames - copied : 0;
}

// After a failed checkpoint (a full disk, an I/O error) the next is tried a second later, not at
// every poll; the writers' own checkpoint (the backstop) meets the same error in the meantime.
let resumeAt = 0;
setInterval(() => {
  Atomics.add(stats, ${POLLS}, 1);
  if (Date.now() < resumeAt || waiting() < workerData.atFrames) return;
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    Atomics.add(stats, result.busy ? ${BUSY} : ${CHECKPOINTS}, 1);
  } catch (error) {
    Atomics.add(stats, ${ERRORS}, 1);
    resumeAt = Date.now() + ${RETRY_AFTER_ERROR_MS};
  }
}, workerData.pollMs);

} catch (error) {
  throw Object.assign(new Error(String(error && error.message)), { code: error && error.code });
}
`;

/** Checkpointers running in this process, by database file. */
const running = new Map<string, number>();

/**
 * The `wal_autocheckpoint` a connection to `file` opened now gets: the backstop while a
 * checkpoint thread runs for that file in this process, else SQLite's default.
 */
export function writerAutocheckpoint(file: string): number {
  return (running.get(file) ?? 0) > 0 ? BACKSTOP_FRAMES : SQLITE_AUTOCHECKPOINT_FRAMES;
}

export class Checkpointer {
  readonly #worker: Worker;
  readonly #stats = new Int32Array(new SharedArrayBuffer(4 * 4));
  readonly #exited: Promise<void>;
  #closed = false;
  /** Why the thread stopped on its own (it does not restart: the backstop takes over). */
  error: unknown = null;

  constructor(
    private readonly file: string,
    { atFrames = CHECKPOINT_AT_FRAMES, pollMs = CHECKPOINT_POLL_MS } = {},
  ) {
    running.set(file, (running.get(file) ?? 0) + 1);
    this.#worker = new Worker(SOURCE, {
      eval: true,
      workerData: { file, driver: driverPath(), stats: this.#stats.buffer, atFrames, pollMs },
    });
    // An idle process (a CLI command done) need not wait for it; close() waits.
    this.#worker.unref();
    this.#worker.on('error', (error) => {
      this.error = error;
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
  }

  /** Times the thread read the log's header. */
  get polls(): number {
    return Atomics.load(this.#stats, POLLS);
  }

  /** Checkpoints the thread ran (each copied what no reader still needed). */
  get checkpoints(): number {
    return Atomics.load(this.#stats, CHECKPOINTS);
  }

  /** Checkpoints that found another one running (another process's, a writer's backstop). */
  get busy(): number {
    return Atomics.load(this.#stats, BUSY);
  }

  /** Checkpoints that failed (a full disk, an I/O error). */
  get errors(): number {
    return Atomics.load(this.#stats, ERRORS);
  }

  /**
   * Stops the thread, after the checkpoint it may be running (a statement is never cut: the
   * thread stops at its next return to JavaScript), whether or not it has finished starting;
   * its connection and descriptors are closed as it ends (the driver closes its databases when
   * a thread's environment ends, Node the descriptors it opened). Waiting for a thread still
   * starting to read a close message cost 40 ms an open and close; this, about 2.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const left = (running.get(this.file) ?? 1) - 1;
    if (left > 0) running.set(this.file, left);
    else running.delete(this.file);
    await this.#worker.terminate();
    await this.#exited;
  }
}
