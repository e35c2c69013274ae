// The event loop's side of a store writer thread (sync-pipeline.ts runs on the thread): one
// place for the check writer (nonce-writer.ts) and the issue writer (issue-writer.ts). Writes
// wait in a group until the writer's policy sends it (`scheduleSend`); each group sent is held
// by id until the thread answers it (`settle`) or refuses it (`fail`: the thread's transaction
// or a sync failed, or the thread died, which refuses every group in flight; the next group
// starts a new thread). An idle thread does not keep the process alive; `close` writes and
// answers what is waiting and in flight, then stops the thread.

import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../../errors.js';
import { writerAutocheckpoint } from './checkpointer.js';
import { driverPath } from './sync-pipeline.js';

/**
 * After a thread failed to start (it reported nothing before it died: the file is gone, the
 * driver did not load, a statement does not prepare), no new one is started before this many
 * ms, doubling with each such failure in a row up to START_BACKOFF_MAX_MS; the groups that come
 * meanwhile are refused at once with its cause. Starting a thread costs tens of ms of CPU: a
 * thread that cannot start, retried for every group, burned a core while every write was refused.
 */
export const START_BACKOFF_MS = 100;
export const START_BACKOFF_MAX_MS = 5_000;

/** A refusal of a whole group, as the thread sends it. */
interface GroupFailure {
  id: number;
  error: string;
  code?: string;
}

export abstract class GroupWriter<Item extends { reject(error: unknown): void }, Answer> {
  #worker: Worker | null = null;
  /** Not sent yet: the next group. */
  #waiting: Item[] = [];
  /** Sent to the thread, not yet answered, by group id. */
  readonly #inFlight = new Map<number, Item[]>();
  #nextId = 1;
  #scheduled = false;
  #closed = false;
  #drained: (() => void) | null = null;
  /** The most groups that were in flight at once (the tests read it). */
  mostInFlight = 0;
  /** Threads started (the tests read it). */
  starts = 0;
  /**
   * The clock of the start backoff, in ms: monotonic (performance.now), so that a wall clock
   * stepped back (NTP, an operator) does not stretch the backoff by the size of the step. The
   * tests set it.
   */
  clock: () => number = () => performance.now();
  /** Threads in a row that failed to start, the last one's cause, and when to try again. */
  #startFailures = 0;
  #startFailure: unknown = null;
  #retryAt = 0;

  /**
   * `source`: the thread's (groupWriterSource); `data`: its workerData beside the file, its
   * directory, the driver's path and `faults`; `name`: the writer, in messages.
   */
  protected constructor(
    private readonly source: string,
    private readonly file: string,
    private readonly data: Record<string, unknown>,
    private readonly name: string,
  ) {}

  /** The message that carries a group to the thread (with its `id`). */
  protected abstract messageOf(id: number, group: Item[]): unknown;
  /** Answers the items of a group from the thread's answer. */
  protected abstract settle(group: Item[], answer: Answer): void;
  /** Refuses the items of a group: the store is unavailable (`cause`). */
  protected abstract fail(group: Item[], cause: unknown): void;
  /** Called after each write joins the waiting group: `sendNow()` or `sendAtTurnEnd()`. */
  protected abstract scheduleSend(): void;

  /** Groups sent and not yet answered. */
  protected get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Writes waiting to be sent. */
  protected get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a group may be sent now (a writer may hold it back while others are in flight). */
  protected canSend(): boolean {
    return true;
  }

  protected enqueue(item: Item): void {
    if (this.#closed) {
      item.reject(new StoreUnavailableError('the store is closed'));
      return;
    }
    this.#waiting.push(item);
    this.scheduleSend();
  }

  /** The waiting group is sent once this turn of the event loop ends (once per turn). */
  protected sendAtTurnEnd(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.sendNow();
    });
  }

  /** Whether a send at the turn's end is pending. */
  protected get scheduled(): boolean {
    return this.#scheduled;
  }

  /** Writes what is waiting and answers it, then stops the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inFlight.size > 0 || this.#waiting.length > 0 || this.#scheduled) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    const worker = this.#worker;
    this.#worker = null;
    if (worker === null) return;
    // Held until it exits: an idle thread is unref'd, and the process would end without it.
    worker.ref();
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ close: true });
    });
  }

  /** Sends the waiting group, if there is one and the writer allows it. */
  protected sendNow(): void {
    if (!this.canSend()) return;
    const group = this.#waiting;
    if (group.length === 0) {
      this.#idle();
      return;
    }
    this.#waiting = [];
    if (this.#worker === null && this.#backingOffNow()) {
      this.fail(group, this.#backingOff());
      this.#idle();
      return;
    }
    const id = this.#nextId++;
    try {
      const worker = this.#start();
      worker.postMessage(this.messageOf(id, group));
      worker.ref();
    } catch (cause) {
      this.fail(group, cause);
      this.#idle();
      return;
    }
    this.#inFlight.set(id, group);
    this.mostInFlight = Math.max(this.mostInFlight, this.#inFlight.size);
  }

  /**
   * Whether a thread that failed to start is not tried again yet: only while the next start is
   * due within START_BACKOFF_MAX_MS, so that a clock that went back (a test's, or a monotonic
   * one that should not) never holds the writes off for longer than the longest backoff.
   */
  #backingOffNow(): boolean {
    if (this.#startFailures === 0) return false;
    const wait = this.#retryAt - this.clock();
    return wait > 0 && wait <= START_BACKOFF_MAX_MS;
  }

  /** Why a group is refused without a thread while the start backs off. */
  #backingOff(): Error {
    const cause = this.#startFailure as { message?: unknown; code?: unknown } | null;
    const wait = Math.max(0, this.#retryAt - this.clock());
    return Object.assign(
      new Error(
        `${this.name} failed to start ${this.#startFailures} time(s) in a row (${String(cause?.message ?? cause)}); the next start is tried in ${wait} ms`,
      ),
      { code: cause?.code },
    );
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    this.starts += 1;
    // Whether the thread said anything: one that dies before it did failed to start.
    let started = false;
    const worker = new Worker(this.source, {
      eval: true,
      workerData: {
        ...this.data,
        file: this.file,
        dir: dirname(this.file),
        driver: driverPath(),
        walAutocheckpoint: writerAutocheckpoint(this.file),
      },
    });
    worker.on('message', (reply: ({ id: number } & Answer) | GroupFailure) => {
      if (!started) {
        started = true;
        this.#startFailures = 0;
        this.#startFailure = null;
      }
      this.#answer(reply);
    });
    // The thread failed to start (the file is gone, the driver did not load) or died: what was
    // in flight is refused as unavailable (none of it was answered), and the next write starts
    // a new thread, at once after a thread that had worked, after the start backoff otherwise.
    const lost = (cause: unknown) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      if (!started) {
        this.#startFailures += 1;
        this.#startFailure = cause;
        this.#retryAt =
          this.clock() +
          Math.min(START_BACKOFF_MAX_MS, START_BACKOFF_MS * 2 ** (this.#startFailures - 1));
      }
      const groups = [...this.#inFlight.values()];
      this.#inFlight.clear();
      for (const group of groups) this.fail(group, cause);
      this.sendNow();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`${this.name} exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #answer(reply: ({ id: number } & Answer) | GroupFailure): void {
    const group = this.#inFlight.get(reply.id) ?? [];
    this.#inFlight.delete(reply.id);
    if ('error' in reply) {
      this.fail(group, Object.assign(new Error(reply.error), { code: reply.code }));
    } else {
      this.settle(group, reply);
    }
    this.sendNow();
  }

  #idle(): void {
    if (this.#inFlight.size > 0) return;
    this.#worker?.unref();
    if (this.#drained !== null && this.#waiting.length === 0 && !this.#scheduled) {
      const drained = this.#drained;
      this.#drained = null;
      drained();
    }
  }
}
