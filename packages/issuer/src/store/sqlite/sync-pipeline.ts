// The thread that writes a store's groups off the event loop and syncs the log itself (#15.5):
// one source for the check writer (nonce-writer.ts) and the issue writer (issue-writer.ts). A
// writer's source is `groupWriterSource(own)`: the thread opens its own connection to the
// store's file, `own` (CommonJS, run on the thread) prepares its statements and defines
// `writeAll` (a better-sqlite3 transaction over a list of groups, returning one reply per group,
// each with the `id` of its group) and `transferOf(reply)` (the buffers the reply hands over),
// and the rest below commits and syncs what comes, answering each group once a sync that began
// after its commit has returned.
//
// The sync is the thread's own, and pipelined. Under synchronous=FULL SQLite syncs the log
// inside COMMIT while it holds the file's write lock, so the next group could not even be
// written until the previous one was on disk: a check waited for the rest of the sync in flight
// and then a whole one of its own (about 1.5 syncs), and the writers of several processes
// (`--workers`) took turns on the lock for the length of each sync. Here the connection runs with
// synchronous=NORMAL (COMMIT writes the log pages and releases the lock without syncing) and the
// thread calls fdatasync on the log file itself, off its own loop, up to MAX_SYNCS at a time:
// the next group is committed while the previous one's sync runs, and a group is answered as
// soon as any sync that began after its commit returns (a sync covers every page written to the
// file before it began). A checkpoint syncs the log before it copies it, as SQLite always does.
// A writer may also take the idle path (`{ idleSync: true }`, the check writer): when no sync is
// in flight and no group waits on the thread's port once a group is committed, the thread calls
// fdatasync itself (blocking, on the first slot's descriptor) and answers the moment it returns:
// one wake of the thread per group instead of three (the thread, a libuv pool thread for the
// sync, the thread again for its completion), which is most of a group's round trip when checks
// come a few at a time (#15.5). A sync in flight, or a group waiting, hands over to the pipelined
// path, so that under load the next group is still committed while the previous one syncs. The
// rule is the same on both paths: a group is answered only after a sync that began after its
// commit returned, and a failed sync poisons the writer alike. A slow sync on the idle path (the
// disk busy with other work) sends the next groups the pipelined way (IDLE_SLOW_MS).
// Each sync slot has a descriptor of its own on the log: Linux reports a write-back error to every
// open file description that has not seen it yet (each samples the error sequence when it is
// opened), but to only one of two fdatasync calls on one descriptor, so a sync that returned 0
// beside a failed one could otherwise answer groups whose pages were lost. The descriptors are
// opened when the thread starts, and anew after a failed sync before the next group is written,
// so that each is open before any page it is to cover is written. And as SQLite does
// under synchronous=FULL after it opens the log, the thread syncs the database's directory once
// after it opens its descriptors (the log file's entry may be new), before any group is answered.
// A sync that fails refuses every group not yet answered (503, ERR_STORE_UNAVAILABLE; what they
// wrote may survive, like a check whose answer was lost on the way: the SDK makes a new check);
// nothing more is written until a TRUNCATE checkpoint has put the whole log into the database
// file and synced it, so a page the failed sync lost cannot hide a later group behind it.

import { createRequire } from 'node:module';

/** Syncs of the log in flight at once: the next group's begins while the previous one's runs. */
export const MAX_SYNCS = 2;

/**
 * The idle path blocks the writer's thread for its sync: while the disk is slow (other
 * processes' writes) a group sent meanwhile waits for the whole sync and then a sync of its own,
 * where the pipelined path commits it and syncs it beside. So an idle-path sync that took
 * IDLE_SLOW_MS or more sends the next IDLE_BACK_OFF groups the pipelined way.
 */
export const IDLE_SLOW_MS = 1;
export const IDLE_BACK_OFF = 32;

/**
 * Faults for the tests, applied on the writer's thread: `failSyncAt` makes the nth sync of the
 * log (or each nth of a list) fail (EIO) as a failing disk would, `failSyncOnSlot` the first sync made on that slot's
 * descriptor (0 or 1); `syncDelayMs` starts each sync that much later, so that groups overlap,
 * and `slotDelayMs` sets it per slot instead; `failDirSyncAt` makes the nth sync of the
 * database's directory fail, and `dirSyncDelayMs` starts each one that much later; `dirSyncs`
 * (an Int32Array on a SharedArrayBuffer) counts at 0 the syncs of the directory, a real one where
 * node:fs returns from its fsync, an injected failure where it stands in for it; `syncGate`
 * (an Int32Array of two on a SharedArrayBuffer) holds each sync of the log until the event loop
 * opens the gate (stores a non-zero at 0), and counts at 1 the syncs that waited at it (on the
 * idle path the gate is waited at before the thread looks for a waiting group, so that a group
 * sent meanwhile hands the sync over to the pipelined path). The delays (`syncDelayMs`,
 * `slotDelayMs`) exist to make groups overlap: with either set the idle path is not taken.
 * `syncCounts` (an Int32Array of two on a SharedArrayBuffer) counts the syncs of the log: at 0
 * the idle path's (blocking), at 1 the pipelined path's; a real one is counted where node:fs
 * returns from its fdatasync (so a sync not made is not counted), an injected failure where it
 * stands in for that call;
 * `idleSlowMs` replaces IDLE_SLOW_MS; `logOpens` (an Int32Array of two, or three, on a
 * SharedArrayBuffer) counts at 0 the descriptors opened on the log, at 1 those opened while a
 * committed group was not yet answered (after pages they are to cover were written: none should
 * be), and at 2 (when it has three) those closed.
 * `recoverBusy` (an Int32Array on a SharedArrayBuffer) counts at 0 the busy answers of the
 * TRUNCATE checkpoint after a failed sync (recover()), `recoverBusyMs` replaces the 5 s it retries.
 */
export interface WriterFaults {
  syncGate?: Int32Array;
  syncCounts?: Int32Array;
  idleSlowMs?: number;
  failSyncAt?: number | number[];
  failSyncOnSlot?: number;
  syncDelayMs?: number;
  slotDelayMs?: number[];
  failDirSyncAt?: number;
  dirSyncDelayMs?: number;
  dirSyncs?: Int32Array;
  logOpens?: Int32Array;
  recoverBusy?: Int32Array;
  recoverBusyMs?: number;
}

/** better-sqlite3's path as the main thread resolves it, for the thread's `require`. */
export function driverPath(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

/**
 * The worker's whole source, as CommonJS: it runs from the built package and from the
 * TypeScript sources under vitest alike, with no file of its own to locate. The thread's
 * `workerData` holds `file` (the database), `dir` (its directory), `driver` (driverPath()) and
 * `faults`; `own` may read more of it.
 */
export function groupWriterSource(own: string, options: { idleSync?: boolean } = {}): string {
  // The body in a try: an error thrown while the thread starts (the driver, the file, a statement
  // that does not prepare) reaches the event loop through the worker's 'error' event, by
  // structured clone, which keeps only what a real Error carries; better-sqlite3's SqliteError is
  // not one, and its message was lost ("[object Object]"). Rethrown as an Error with its code.
  return `
try {
const fs = require('node:fs');
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const faults = workerData.faults || {};
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// The thread syncs the log itself (below); a store not in WAL mode keeps SQLite's own sync.
const wal = db.pragma('journal_mode', { simple: true }) === 'wal';
db.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
// A checkpoint thread's backstop (checkpointer.ts), else SQLite's default.
db.pragma('wal_autocheckpoint = ' + Number(workerData.walAutocheckpoint || 1000));
${own}
const MAX_SYNCS = ${MAX_SYNCS};
const IDLE_SYNC = ${options.idleSync === true} && !faults.syncDelayMs && !faults.slotDelayMs;
/** An idle-path sync slower than this (ms) sends the next IDLE_BACK_OFF groups the pipelined way. */
const IDLE_SLOW_MS = faults.idleSlowMs ?? ${IDLE_SLOW_MS};
const IDLE_BACK_OFF = ${IDLE_BACK_OFF};
let idleBackOff = 0;
/** One descriptor on the log per sync slot: fd (null until opened), busy, stale (close when done). */
const slots = Array.from({ length: MAX_SYNCS }, () => ({ fd: null, busy: false, stale: false, syncs: 0, syncingFd: null }));
/** The database's directory has been synced since the slots' descriptors were opened. */
let dirSynced = false;
let dirSyncing = false;
let dirSyncCalls = 0;
let committed = 0;
let syncedUpTo = 0;
let startedUpTo = 0;
let syncing = 0;
let syncCalls = 0;
let poisoned = null;
let closing = false;
/** Committed, not yet answered: [commit number, reply]. */
const unsynced = [];

function failAll(list, error) {
  for (const [, reply] of list) {
    parentPort.postMessage({ id: reply.id, error: String(error && error.message), code: error && error.code });
  }
}

// A descriptor on the log closed; the test fault logOpens counts it at 2.
function closeLog(fd) {
  fs.closeSync(fd);
  if (faults.logOpens && faults.logOpens.length > 2) Atomics.add(faults.logOpens, 2, 1);
}

function closeSlot(slot) {
  if (slot.fd !== null) closeLog(slot.fd);
  slot.fd = null;
  slot.stale = false;
}

// A failed sync (of the log or of the directory): every group not yet answered is refused, and
// nothing more is written until the log is checkpointed whole (recover()). The descriptors are
// opened anew (each idle one now, each busy one when its sync returns), and the directory synced
// again after, so that an error seen here is not reported again to a later sync.
function poison(error) {
  poisoned = error;
  failAll(unsynced.splice(0), error);
  dirSynced = false;
  for (const slot of slots) {
    if (slot.busy) slot.stale = true;
    else closeSlot(slot);
  }
}

// Every group committed up to syncedUpTo, once the directory is synced too.
function answer() {
  if (!dirSynced || poisoned !== null) return;
  let n = 0;
  while (n < unsynced.length && unsynced[n][0] <= syncedUpTo) n++;
  for (const [, reply] of unsynced.splice(0, n)) {
    parentPort.postMessage(reply, transferOf(reply));
  }
}

function injected(what) {
  return Object.assign(new Error(what + ': EIO: i/o error (injected)'), { code: 'EIO' });
}

// A descriptor on the log. The test fault logOpens counts at 0 every one opened, and at 1 those
// opened while a committed group waited for its sync (opened after pages it is to cover).
function openLog() {
  const fd = fs.openSync(workerData.file + '-wal', 'r+');
  if (faults.logOpens) {
    Atomics.add(faults.logOpens, 0, 1);
    if (unsynced.length > 0) Atomics.add(faults.logOpens, 1, 1);
  }
  return fd;
}

// Every slot's descriptor, opened before any page it is to cover is written: when the thread
// starts and after a recovery, before the next group (Linux reports a write-back error only to
// the descriptors open when it happened). A slot whose sync is still in flight (stale) gets its
// new descriptor now, and its sync closes the old one when it returns; a descriptor such a slot
// was given at an earlier recovery (a second failure while that sync is still in flight), used
// by no sync, is closed here.
function openSlots() {
  for (const slot of slots) {
    if (slot.fd !== null && !slot.stale) continue;
    if (slot.fd !== null && slot.fd !== slot.syncingFd) closeLog(slot.fd);
    slot.fd = openLog();
    slot.stale = false;
  }
}

// A slot's descriptor on the log (opened at start, or after a failure, by openSlots; here only
// if that could not be done), and after opening it the directory's sync (once until a
// failure). Throws when the log cannot be opened.
function openSlot(slot) {
  if (slot.fd === null) slot.fd = openLog();
  if (dirSynced || dirSyncing) return;
  dirSyncing = true;
  dirSyncCalls++;
  const calls = dirSyncCalls;
  const done = (error) => {
    dirSyncing = false;
    if (error) {
      if (poisoned === null) poison(error);
    } else if (poisoned === null) {
      dirSynced = true;
      answer();
    }
    if (closing && syncing === 0) finishClose();
  };
  // The test fault dirSyncs counts each sync of the directory where it returns.
  const counted = () => {
    if (faults.dirSyncs) Atomics.add(faults.dirSyncs, 0, 1);
  };
  const sync = () => {
    if (faults.failDirSyncAt === calls) {
      counted();
      return done(injected('fsync of the directory'));
    }
    // Windows opens no directory to sync (nor does SQLite sync one there).
    if (process.platform === 'win32') return done(null);
    fs.open(workerData.dir, 'r', (error, fd) => {
      if (error) return done(error);
      fs.fsync(fd, (syncError) => {
        counted();
        fs.close(fd, () => done(syncError));
      });
    });
  };
  if (faults.dirSyncDelayMs) setTimeout(sync, faults.dirSyncDelayMs);
  else sync();
}

function startSync() {
  if (syncing >= MAX_SYNCS || startedUpTo >= committed || poisoned !== null) return;
  const index = slots.findIndex((slot) => !slot.busy);
  if (index === -1) return;
  const slot = slots[index];
  try {
    openSlot(slot);
  } catch (error) {
    poison(error);
    return;
  }
  // The directory's sync may have failed at once.
  if (poisoned !== null) return;
  const upTo = committed;
  startedUpTo = upTo;
  syncing++;
  syncCalls++;
  slot.busy = true;
  slot.syncs++;
  const calls = syncCalls;
  const fd = slot.fd;
  slot.syncingFd = fd;
  const done = (error) => {
    syncing--;
    slot.busy = false;
    slot.syncingFd = null;
    // Replaced meanwhile (openSlots after a recovery): this sync's descriptor is closed alone.
    if (fd !== slot.fd) closeLog(fd);
    else if (slot.stale) closeSlot(slot);
    if (error) {
      // What this sync was to cover, and everything after it, is refused, whichever slot saw it.
      if (poisoned === null) poison(error);
    } else if (poisoned === null && upTo > syncedUpTo) {
      syncedUpTo = upTo;
      answer();
    }
    startSync();
    if (closing && syncing === 0 && !dirSyncing) finishClose();
  };
  const sync = () => syncLog(slot, fd, index, calls, done);
  const delay = faults.slotDelayMs ? faults.slotDelayMs[index] : faults.syncDelayMs;
  const run = () => (delay ? setTimeout(sync, delay) : sync());
  if (faults.syncGate) gated(faults.syncGate, run);
  else run();
}

// The one place the log is synced, on both paths: the idle path's (no \`done\`: blocking, throws
// the sync's error) and the pipelined path's (\`done(error)\` when it returns). A test's injected
// failure (failSyncAt: the nth sync; failSyncOnSlot: a slot's first) stands in for the real call,
// nothing else between them, and counts as that path's sync; the tests' syncCounts count the real
// calls where node:fs makes them (countSyncs).
function syncLog(slot, fd, index, calls, done) {
  const fault =
    [].concat(faults.failSyncAt).includes(calls) || (slot.syncs === 1 && faults.failSyncOnSlot === index) ? injected('fdatasync') : null;
  if (fault !== null && faults.syncCounts) Atomics.add(faults.syncCounts, done === undefined ? 0 : 1, 1);
  if (done === undefined) {
    if (fault !== null) throw fault;
    fs.fdatasyncSync(fd);
  } else if (fault !== null) {
    done(fault);
  } else {
    fs.fdatasync(fd, done);
  }
}

// The test fault syncCounts: every fdatasync the thread makes is counted where it returns (0: the
// blocking call of the idle path, 1: the pipelined path's), inside the node:fs functions
// themselves (this thread's own instance of the module), so that a sync not made is not counted.
function countSyncs(counts) {
  const { fdatasync, fdatasyncSync } = fs;
  fs.fdatasyncSync = (fd) => {
    try {
      return fdatasyncSync(fd);
    } finally {
      Atomics.add(counts, 0, 1);
    }
  };
  fs.fdatasync = (fd, callback) =>
    fdatasync(fd, (error) => {
      Atomics.add(counts, 1, 1);
      callback(error);
    });
}
if (faults.syncCounts) countSyncs(faults.syncCounts);

// The test fault syncGate: runs the sync once the gate is open.
function gated(gate, run) {
  if (Atomics.load(gate, 0) !== 0) return run();
  Atomics.add(gate, 1, 1);
  const poll = () => (Atomics.load(gate, 0) !== 0 ? run() : setTimeout(poll, 1));
  setTimeout(poll, 1);
}

// The idle path: true when it synced (or refused) what was committed here, on this thread; false
// when the pipelined path is to take it (a sync in flight, the directory not synced yet, or a
// group already waiting: \`next\` receives it, to be committed beside the pipelined sync).
function idleSync(next) {
  if (!IDLE_SYNC || syncing > 0 || dirSyncing || !dirSynced || poisoned !== null || closing) return false;
  if (idleBackOff > 0) {
    idleBackOff--;
    return false;
  }
  const gate = faults.syncGate;
  if (gate && Atomics.load(gate, 0) === 0) {
    Atomics.add(gate, 1, 1);
    while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0, 5);
  }
  const waiting = receiveMessageOnPort(parentPort);
  if (waiting !== undefined) {
    next.push(waiting.message);
    return false;
  }
  const slot = slots[0];
  const upTo = committed;
  startedUpTo = upTo;
  syncCalls++;
  slot.syncs++;
  try {
    if (slot.fd === null) slot.fd = openLog();
    const began = performance.now();
    syncLog(slot, slot.fd, 0, syncCalls);
    if (performance.now() - began >= IDLE_SLOW_MS) idleBackOff = IDLE_BACK_OFF;
  } catch (error) {
    poison(error);
    return true;
  }
  if (upTo > syncedUpTo) syncedUpTo = upTo;
  answer();
  return true;
}

// After a failed sync: the whole log into the database file, synced, before anything else.
// SQLite waits (busy_timeout) for readers and writers in a TRUNCATE checkpoint, but not for the
// checkpoint lock: while another connection checkpoints (the store's checkpoint thread, another
// process) it answers busy at once. That is retried every millisecond for up to the busy timeout
// (5 s, faults.recoverBusyMs in tests), each counted in faults.recoverBusy; only then is the
// group refused.
function recover() {
  const waitFor = faults.recoverBusyMs ?? 5000;
  const began = performance.now();
  for (;;) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)');
    if (result.busy === 0) break;
    if (faults.recoverBusy) Atomics.add(faults.recoverBusy, 0, 1);
    if (performance.now() - began >= waitFor) {
      throw new Error('the log could not be checkpointed after a failed sync (busy for ' + waitFor + ' ms: another connection held the checkpoint)');
    }
    Atomics.wait(recoverPause, 0, 0, 1);
  }
  poisoned = null;
  syncedUpTo = committed;
  startedUpTo = committed;
}

/** Nothing ever notifies it: recover()'s pause between two busy checkpoints. */
const recoverPause = new Int32Array(new SharedArrayBuffer(4));

function finishClose() {
  for (const slot of slots) closeSlot(slot);
  db.close();
  parentPort.close();
}

// The slots' descriptors before the first group is written. A log not there yet (or not
// openable now) leaves them to the first sync, which refuses its group if it still cannot open it.
if (wal) {
  try {
    openSlots();
  } catch {
    // Left to the first sync (openSlot), which refuses its group if the log still cannot open.
  }
}

parentPort.on('message', onMessage);

function onMessage(first) {
  if (first.close) {
    closing = true;
    if (syncing === 0 && !dirSyncing) finishClose();
    return;
  }
  // What queued up while the thread was busy goes in the same transaction.
  const groups = [first];
  for (let next = receiveMessageOnPort(parentPort); next !== undefined; next = receiveMessageOnPort(parentPort)) {
    if (next.message.close) {
      closing = true;
      break;
    }
    groups.push(next.message);
  }
  const replies = [];
  try {
    if (poisoned !== null) {
      recover();
      try {
        openSlots();
      } catch (error) {
        poisoned = error;
        throw error;
      }
    }
    replies.push(...writeAll.immediate(groups));
  } catch (error) {
    // A group that cannot be written is refused alone: the others are written one by one.
    for (const group of groups.length > 1 && poisoned === null ? groups : []) {
      try {
        replies.push(...writeAll.immediate([group]));
      } catch (alone) {
        failAll([[0, group]], alone);
      }
    }
    if (groups.length === 1 || poisoned !== null) failAll(groups.map((group) => [0, group]), error);
    if (replies.length === 0) {
      if (closing && syncing === 0 && !dirSyncing) finishClose();
      return;
    }
  }
  if (!wal) {
    for (const reply of replies) parentPort.postMessage(reply, transferOf(reply));
    if (closing) finishClose();
    return;
  }
  committed++;
  for (const reply of replies) unsynced.push([committed, reply]);
  const next = [];
  if (!idleSync(next)) startSync();
  if (closing && syncing === 0 && !dirSyncing) finishClose();
  // A group that came while this one was committed: written now, beside this one's sync.
  if (next.length > 0) onMessage(next[0]);
}
} catch (error) {
  throw Object.assign(new Error(String(error && error.message)), { code: error && error.code });
}
`;
}
