// The nonce window's writes on SQLite, off the event loop and in groups (#15.5). A check's nonce
// must be on disk before the check is answered (a replay is refused after a restart, and by every
// process on the file), and the store runs with synchronous=FULL: one fsync per write. Made on
// the event loop, each fsync (about 3 ms on a VM disk) stalled every other request, and checks
// fell to ~240/s. Here one worker thread holds its own connection to the store's file and writes
// every nonce that arrived while its previous write was being synced as one transaction: one
// fsync for the group, each check answered after the fsync that covers its nonce. Durability and
// the replay rule are unchanged: the INSERT is the same single statement per nonce, in order, so
// a nonce twice in one group is admitted once and refused the second time.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../../errors.js';

/** Expired nonces are removed once every this many admissions (SQLite has no TTL index). */
export const NONCE_PURGE_EVERY = 512;

/** One nonce: inserted, or an expired one replaced; a nonce still held changes nothing. */
export const NONCE_ADMIT_SQL =
  'INSERT INTO check_nonces (key, expires_at) VALUES (?, ?) ' +
  'ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at ' +
  'WHERE check_nonces.expires_at <= ?';
export const NONCE_PURGE_SQL = 'DELETE FROM check_nonces WHERE expires_at <= ?';

// The worker, as CommonJS source: it runs from the built package and from the TypeScript sources
// under vitest alike, with no file of its own to locate. `driver` is better-sqlite3's path as the
// main thread resolves it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
const admit = db.prepare(${JSON.stringify(NONCE_ADMIT_SQL)});
const purge = db.prepare(${JSON.stringify(NONCE_PURGE_SQL)});
let sincePurge = 0;
const write = db.transaction((keys, expiries, nows) => {
  sincePurge += keys.length;
  if (sincePurge >= workerData.purgeEvery) {
    sincePurge = 0;
    purge.run(nows[0]);
  }
  const admitted = new Uint8Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    admitted[i] = admit.run(keys[i], expiries[i], nows[i]).changes === 1 ? 1 : 0;
  }
  return admitted;
});
parentPort.on('message', (message) => {
  if (message.close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const admitted = write.immediate(message.keys, message.expiries, message.nows);
    parentPort.postMessage({ admitted }, [admitted.buffer]);
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message), code: error && error.code });
  }
});
`;

interface Waiting {
  key: string;
  expiresAt: number;
  now: number;
  resolve: (admitted: boolean) => void;
  reject: (error: unknown) => void;
}

type Reply = { admitted: Uint8Array } | { error: string; code?: string };

function driverPath(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

export class NonceWriter {
  #worker: Worker | null = null;
  /** Arrived since the group in flight was sent: the next group. */
  #waiting: Waiting[] = [];
  #inFlight: Waiting[] | null = null;
  #scheduled = false;
  #closed = false;
  #drained: (() => void) | null = null;
  /** Groups written and nonces in them (the bench and the tests read these). */
  groups = 0;
  written = 0;

  constructor(private readonly file: string) {}

  /** True the first time `key` is held (until `expiresAt`), false while it is held. */
  admit(key: string, expiresAt: number, now: number): Promise<boolean> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ key, expiresAt, now, resolve, reject });
      // The nonces of one turn of the event loop go together; later ones wait for the group
      // in flight and then go as the next group.
      if (this.#inFlight === null && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#send();
        });
      }
    });
  }

  /** Writes what is waiting, then stops the worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inFlight !== null || this.#waiting.length > 0 || this.#scheduled) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    const worker = this.#worker;
    this.#worker = null;
    if (worker === null) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ close: true });
    });
  }

  #send(): void {
    if (this.#inFlight !== null) return;
    const group = this.#waiting;
    if (group.length === 0) {
      this.#idle();
      return;
    }
    this.#waiting = [];
    let worker: Worker;
    try {
      worker = this.#start();
    } catch (cause) {
      this.#fail(group, cause);
      this.#idle();
      return;
    }
    try {
      worker.postMessage({
        keys: group.map((x) => x.key),
        expiries: group.map((x) => x.expiresAt),
        nows: group.map((x) => x.now),
      });
    } catch (cause) {
      this.#fail(group, cause);
      this.#idle();
      return;
    }
    this.#inFlight = group;
    worker.ref();
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.file, driver: driverPath(), purgeEvery: NONCE_PURGE_EVERY },
    });
    worker.on('message', (reply: Reply) => this.#settle(reply));
    // The worker failed to start (the file is gone, the driver did not load) or died: what was
    // in flight is refused as unavailable, and the next admission starts a new worker.
    const lost = (cause: unknown) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      const group = this.#inFlight ?? [];
      this.#inFlight = null;
      this.#fail(group, cause);
      this.#send();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the nonce writer exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #settle(reply: Reply): void {
    const group = this.#inFlight ?? [];
    this.#inFlight = null;
    if ('error' in reply) {
      this.#fail(group, Object.assign(new Error(reply.error), { code: reply.code }));
    } else {
      this.groups += 1;
      this.written += group.length;
      group.forEach((item, index) => {
        item.resolve(reply.admitted[index] === 1);
      });
    }
    this.#send();
  }

  #fail(group: Waiting[], cause: unknown): void {
    const error = new StoreUnavailableError(
      `the check nonce could not be written: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    for (const item of group) item.reject(error);
  }

  #idle(): void {
    this.#worker?.unref();
    if (this.#drained !== null && this.#waiting.length === 0) {
      const drained = this.#drained;
      this.#drained = null;
      drained();
    }
  }
}
