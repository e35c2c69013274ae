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
// A checkpoint that fails (a full disk, an I/O error) is counted and its code and message sent to
// the main thread, which the store's `logHealth()` reports (the services' /metrics and their warn
// log, store/log-health.ts); the next is tried a second later. A thread that stops on its own is
// started again after a wait (1 s, doubling to 60 s while it keeps stopping without a poll): its
// descriptor on -shm is the main thread's, which outlives it, and its connection is closed as it
// ends, so a new thread starts as the first did. While none runs, connections opened then get
// SQLite's 1,000 frames; those opened before keep the backstop.
//
// The thread reads the -shm file through a descriptor the MAIN thread opened (ShmHold below), never
// one of its own: closing any descriptor of a file releases every POSIX lock the process holds on
// it (https://www.sqlite.org/howtocorrupt.html#_posix_advisory_locks_canceled_by_a_separate_thread_doing_close_),
// and SQLite keeps its cross-process WAL locks on -shm. A descriptor the thread opened itself is
// closed by Node when the thread ends (a Worker closes the descriptors it opened, not one it was
// given), which dropped the locks of every other store on the file in the process. The main
// thread opens one descriptor per -shm file (by device and inode) for the process and closes it
// only once every store on that file has closed its connections (holders counted).
//
// Durability is unchanged: a commit is acknowledged after its log frames are synced, as before;
// the checkpoint only copies them, and SQLite syncs the log before and the database file after
// each copy (synchronous=NORMAL on this connection), so a crash mid-checkpoint is recovered from
// the log as it always was.

import { closeSync, openSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { LogFault } from '../log-health.js';
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
/** A thread that stopped on its own is started again after this wait (ms), doubled while it keeps stopping. */
export const RESTART_AFTER_MS = 1_000;
/** The longest wait before starting a thread that keeps stopping (ms). */
export const RESTART_AFTER_MAX_MS = 60_000;

/** Faults a test makes happen in the thread. */
export interface CheckpointerFaults {
  /** Every checkpoint fails with this SQLite code and message instead of running. */
  failCheckpoints?: { code: string; message: string };
  /** The first thread throws (stops on its own) at this poll; the ones started after it do not. */
  dieAtPoll?: number;
  /** At start, a statement runs about a second in SQLite, then fails (integer overflow). */
  slowStartError?: boolean;
}

export interface CheckpointerOptions {
  atFrames?: number;
  pollMs?: number;
  /** The first wait before starting a thread that stopped on its own (ms). */
  restartAfterMs?: number;
  faults?: CheckpointerFaults;
}

/** Counters the thread keeps in shared memory (indexes into `Checkpointer.#stats`). */
const POLLS = 0;
const CHECKPOINTS = 1;
const BUSY = 2;
const ERRORS = 3;
/** Where the running thread is: 0 starting, 1 in SQLite (opened the driver), 2 closed before it. */
const PHASE = 4;
/** Set by close(): the thread in SQLite closes its connection and ends at its next poll. */
const STOP = 5;
/** A thread that does not end within this after close() asked it is terminated (ms). */
const STOP_WAIT_MS = 5_000;

const SOURCE = `
try {
const { workerData, parentPort } = require('node:worker_threads');
const stats = new Int32Array(workerData.stats);
// Closed before it loaded the driver: end without touching SQLite (close() terminated it). Past
// this point close() never terminates it (see close()): it stops itself.
if (Atomics.compareExchange(stats, ${PHASE}, 0, 1) !== 0) process.exit(0);
const fs = require('node:fs');
const os = require('node:os');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
if (workerData.faults.slowStartError) {
  // A statement that runs for a while in SQLite and then fails (integer overflow), at start.
  db.prepare(
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) ' +
      'SELECT abs(-9223372036854775807 - (SELECT max(x) FROM c) / 3000000)',
  ).get();
}
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const header = Buffer.alloc(136);
// After a failed checkpoint (a full disk, an I/O error) the next is tried a second later, not at
// every poll; the writers' own checkpoint (the backstop) meets the same error in the meantime.
let resumeAt = 0;
const little = os.endianness() === 'LE';
// The main thread's descriptor on -shm: never closed here (see ShmHold); null when the store has
// no -shm (not in WAL mode: nothing to checkpoint).
const shm = workerData.shm;
const faults = workerData.faults;
let polls = 0;

// Counted, sent to the main thread (its code, message and time), and the next try a second later.
function failed(error) {
  Atomics.add(stats, ${ERRORS}, 1);
  resumeAt = performance.now() + ${RETRY_AFTER_ERROR_MS};
  parentPort.postMessage({
    failure: {
      code: String((error && error.code) || 'UNKNOWN'),
      message: String(error && error.message),
      at: Date.now(),
    },
  });
}

// Frames in the log not yet copied into the file, from the wal-index header; 0 when its two copies
// differ (a writer is changing it: read again at the next poll). A header that cannot be read (an
// I/O error) counts as a failed checkpoint and is taken as enough frames, so the thread still
// checkpoints, once a second (RETRY_AFTER_ERROR_MS), rather than never again.
function waiting() {
  if (shm === null) return 0;
  try {
    if (fs.readSync(shm, header, 0, 136, 0) < 136) return 0;
  } catch (error) {
    failed(error);
    return Number.MAX_SAFE_INTEGER;
  }
  if (header.compare(header, 0, 48, 48, 96) !== 0 || header[12] !== 1) return 0;
  const u32 = (at) => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const frames = u32(16);
  const copied = u32(96);
  return frames > copied ? frames - copied : 0;
}

const timer = setInterval(() => {
  if (Atomics.load(stats, ${STOP}) === 1) {
    clearInterval(timer);
    db.close();
    return;
  }
  Atomics.add(stats, ${POLLS}, 1);
  polls += 1;
  if (polls === faults.dieAtPoll) throw new Error('the checkpoint thread stopped (test)');
  if (performance.now() < resumeAt || waiting() < workerData.atFrames) return;
  try {
    if (faults.failCheckpoints !== undefined) {
      throw Object.assign(new Error(faults.failCheckpoints.message), {
        code: faults.failCheckpoints.code,
      });
    }
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    Atomics.add(stats, result.busy ? ${BUSY} : ${CHECKPOINTS}, 1);
  } catch (error) {
    failed(error);
  }
}, workerData.pollMs);

} catch (error) {
  throw Object.assign(new Error(String(error && error.message)), { code: error && error.code });
}
`;

/** A -shm file this process holds a descriptor on (or may), and who holds it. */
interface ShmFile {
  readonly key: string;
  readonly path: string;
  fd: number | null;
  holders: number;
}

/** The -shm files of this process's stores, by device and inode (one descriptor each). */
const shmFiles = new Map<string, ShmFile>();

/**
 * A hold on the -shm file of the database `file`, taken by each store (for as long as its
 * connections are open) and each checkpoint thread: the one descriptor the process opens on that
 * file outside SQLite (for the checkpoint threads to read its header) is closed only when the
 * last hold is released, so no store's SQLite locks on -shm are dropped while it is open. Take
 * it while a connection to `file` is open in WAL mode (the -shm file then exists and is the one
 * SQLite uses); release it after that connection is closed.
 */
export class ShmHold {
  #file: ShmFile | null = null;
  /** No -shm file (a connection not in WAL mode): nothing to hold, nothing for a thread to read. */
  readonly #absent: boolean;

  constructor(file: string) {
    const path = `${file}-shm`;
    let found: { dev: number; ino: number };
    try {
      found = statSync(path);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      this.#absent = true;
      return;
    }
    this.#absent = false;
    const key = `${found.dev}:${found.ino}`;
    let held = shmFiles.get(key);
    if (held === undefined) {
      held = { key, path, fd: null, holders: 0 };
      shmFiles.set(key, held);
    }
    held.holders += 1;
    this.#file = held;
  }

  /** The process's read-only descriptor on the file, opened at the first call; null: no file. */
  descriptor(): number | null {
    if (this.#absent) return null;
    if (this.#file === null) throw new Error('the -shm hold is released');
    this.#file.fd ??= openSync(this.#file.path, 'r');
    return this.#file.fd;
  }

  /** Idempotent; the last hold on the file closes the descriptor. */
  release(): void {
    const held = this.#file;
    if (held === null) return;
    this.#file = null;
    held.holders -= 1;
    if (held.holders > 0) return;
    shmFiles.delete(held.key);
    if (held.fd !== null) closeSync(held.fd);
  }
}

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
  #worker: Worker | null = null;
  readonly #stats = new Int32Array(new SharedArrayBuffer(6 * 4));
  #exited: Promise<void> = Promise.resolve();
  readonly #shm: ShmHold;
  readonly #options: CheckpointerOptions;
  #closed = false;
  #counted = false;
  /** Threads started, the first one included. */
  #started = 0;
  /** Polls counted when the running thread started (it ran if the count moved). */
  #pollsAtStart = 0;
  #restartWaitMs: number;
  #restart: NodeJS.Timeout | null = null;
  #lastFailure: LogFault | null = null;
  #deaths = 0;
  #lastDeath: LogFault | null = null;
  /** Why the last thread stopped on its own (another is started after a wait). */
  error: unknown = null;

  constructor(
    private readonly file: string,
    options: CheckpointerOptions = {},
  ) {
    this.#options = options;
    this.#restartWaitMs = options.restartAfterMs ?? RESTART_AFTER_MS;
    this.#shm = new ShmHold(file);
    try {
      this.#start();
    } catch (error) {
      this.#shm.release();
      throw error;
    }
  }

  #start(): void {
    const { atFrames = CHECKPOINT_AT_FRAMES, pollMs = CHECKPOINT_POLL_MS } = this.#options;
    const { dieAtPoll, ...faults } = this.#options.faults ?? {};
    Atomics.store(this.#stats, PHASE, 0);
    Atomics.store(this.#stats, STOP, 0);
    const worker = new Worker(SOURCE, {
      eval: true,
      workerData: {
        file: this.file,
        shm: this.#shm.descriptor(),
        driver: driverPath(),
        stats: this.#stats.buffer,
        atFrames,
        pollMs,
        faults: this.#started === 0 && dieAtPoll !== undefined ? { ...faults, dieAtPoll } : faults,
      },
    });
    this.#started += 1;
    this.#pollsAtStart = this.polls;
    this.#worker = worker;
    // Counted once the thread exists and until it ends (closed, or dead on its own): a connection
    // opened while it runs gets the backstop, one opened after SQLite's default.
    running.set(this.file, (running.get(this.file) ?? 0) + 1);
    this.#counted = true;
    // An idle process (a CLI command done) need not wait for it; close() waits.
    worker.unref();
    let cause: unknown = null;
    worker.on('message', (message: { failure?: LogFault }) => {
      if (message.failure !== undefined) this.#lastFailure = message.failure;
    });
    worker.on('error', (error) => {
      cause = error;
      this.error = error;
    });
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (exitCode) => {
        this.#uncount();
        this.#worker = null;
        resolve();
        if (!this.#closed) this.#died(cause ?? new Error(`the thread exited (code ${exitCode})`));
      }),
    );
  }

  /** A thread stopped on its own (or could not be started again): another after a wait. */
  #died(cause: unknown): void {
    this.error = cause;
    this.#deaths += 1;
    this.#lastDeath = {
      code: String((cause as { code?: unknown })?.code ?? 'ERR_CHECKPOINT_THREAD_STOPPED'),
      message: String((cause as { message?: unknown })?.message ?? cause),
      at: Date.now(),
    };
    // A thread that polled ran: the next waits the shortest; one that never did, twice the last.
    const first = this.#options.restartAfterMs ?? RESTART_AFTER_MS;
    const wait = this.polls > this.#pollsAtStart ? first : this.#restartWaitMs;
    this.#restartWaitMs = Math.min(wait * 2, RESTART_AFTER_MAX_MS);
    this.#restart = setTimeout(() => {
      this.#restart = null;
      if (this.#closed) return;
      try {
        this.#start();
      } catch (error) {
        this.#died(error);
      }
    }, wait);
    this.#restart.unref();
  }

  #uncount(): void {
    if (!this.#counted) return;
    this.#counted = false;
    const left = (running.get(this.file) ?? 1) - 1;
    if (left > 0) running.set(this.file, left);
    else running.delete(this.file);
  }

  /** Whether a thread runs now, or one stopped on its own and the next waits to start, or closed. */
  get state(): 'running' | 'restarting' | 'closed' {
    if (this.#closed) return 'closed';
    return this.#worker === null ? 'restarting' : 'running';
  }

  /** The last checkpoint that failed: SQLite's code and message, and when. */
  get lastFailure(): LogFault | null {
    return this.#lastFailure;
  }

  /** Times a thread stopped on its own. */
  get deaths(): number {
    return this.#deaths;
  }

  get lastDeath(): LogFault | null {
    return this.#lastDeath;
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
   * Stops the thread, then releases its hold on the -shm descriptor (the descriptor itself is
   * closed with the last hold on the file). A thread that has not yet loaded the driver is
   * terminated at once (an open and close costs about 5 ms, the issuer README's figure); one that
   * has is never terminated: it closes its connection and ends at its next poll (10 ms), after the
   * statement it may be running, its startup included. Terminating a thread inside a SQLite call
   * that fails aborts the whole process (better-sqlite3 builds the error while V8 is terminating
   * the thread: "FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal", seen once in the issuer's
   * tests at load 4-6). One that has not ended 5 s after it was asked is terminated all the same.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#restart !== null) clearTimeout(this.#restart);
    this.#uncount();
    try {
      const worker = this.#worker;
      if (worker !== null) {
        if (Atomics.compareExchange(this.#stats, PHASE, 0, 2) === 0) {
          await worker.terminate();
        } else {
          Atomics.store(this.#stats, STOP, 1);
          // Held until it ends: a process awaiting close() with nothing else to do waits for it.
          worker.ref();
          const late = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
          late.unref();
          await this.#exited;
          clearTimeout(late);
        }
      }
      await this.#exited;
    } finally {
      this.#shm.release();
    }
  }
}
