// Writes check records to the store in batches, off the answer's path: a check is answered
// first and its record is buffered; the buffer is written every `flushIntervalMs` or as soon as
// `batchSize` records wait. A failed write puts the batch back and is retried with backoff. The
// buffer is bounded: past `bufferLimit` the oldest records are dropped, counted and logged with
// their content, so nothing is lost silently. `drain()` is the shutdown path.
//
// A record's strings (license, installation, SDK version) are slices of its check's decoded
// payload, so a record held keeps that whole text alive. Normally a record waits a flush
// interval at most; while the store is down or slow, up to `bufferLimit` wait, so a record that
// joins a buffer already a batch long, and every record of a failed batch, is kept as a copy
// (`ownedRecord`): only then, so that a check pays no copy while the store keeps up.
import type { Logger } from 'pino';
import type { CheckRecord, CheckStore } from '../store-port.js';
import { ownString } from './own-string.js';
import { withTimeout } from './view-cache.js';

export interface RecorderOptions {
  batchSize: number;
  flushIntervalMs: number;
  bufferLimit: number;
  writeTimeoutMs: number;
  /** Clock for the retry backoff (ms); injectable so tests need not sleep. */
  now?: () => number;
}

const maxBackoffMs = 5_000;

export class CheckRecorder {
  readonly #store: Pick<CheckStore, 'recordChecks'>;
  readonly #options: RecorderOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  #buffer: CheckRecord[] = [];
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #backoffMs = 0;
  #retryAtMs = 0;
  /** Records written to the store. */
  flushed = 0;
  /** Writes that failed (each is retried). */
  failures = 0;
  /** Records dropped because the buffer was full. */
  dropped = 0;

  constructor(store: Pick<CheckStore, 'recordChecks'>, options: RecorderOptions, logger: Logger) {
    this.#store = store;
    this.#options = options;
    this.#logger = logger;
    this.#now = options.now ?? Date.now;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Empties the buffer and returns what it held (a process about to die logs them). */
  takeBuffered(): CheckRecord[] {
    return this.#buffer.splice(0);
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.flush(), this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  add(record: CheckRecord): void {
    this.#buffer.push(
      this.#buffer.length >= this.#options.batchSize ? ownedRecord(record) : record,
    );
    if (this.#buffer.length > this.#options.bufferLimit) this.#dropOldest();
    if (this.#buffer.length >= this.#options.batchSize && this.#flushing === null) {
      void this.flush();
    }
  }

  /** Writes what is buffered, one batch at a time; resolves when done or after a failure. */
  flush(): Promise<void> {
    if (this.#flushing !== null) return this.#flushing;
    if (this.#buffer.length === 0 || this.#now() < this.#retryAtMs) return Promise.resolve();
    this.#flushing = this.#writeAll().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  /**
   * Stops the timer and writes until the buffer is empty or the deadline passes. A timed write
   * still in flight is waited for first: its batch is out of the buffer, and comes back to it
   * when that write fails (the store closes after the drain).
   */
  async drain(deadlineMs: number): Promise<number> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    let pause = 50;
    while ((this.#buffer.length > 0 || this.#flushing !== null) && Date.now() < deadlineMs) {
      this.#retryAtMs = 0;
      const failuresBefore = this.failures;
      await this.flush();
      if (this.failures > failuresBefore) {
        await sleep(Math.min(pause, Math.max(0, deadlineMs - Date.now())));
        pause = Math.min(pause * 2, 1_000);
      }
    }
    if (this.#buffer.length > 0) {
      this.#logger.error(
        { event: 'check_records_unwritten', count: this.#buffer.length, records: this.#buffer },
        'check records could not be written before shutdown; they are in this log line',
      );
    }
    return this.#buffer.length;
  }

  async #writeAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#options.batchSize);
      try {
        await withTimeout(this.#store.recordChecks(batch), this.#options.writeTimeoutMs);
        this.flushed += batch.length;
        this.#backoffMs = 0;
      } catch (error) {
        this.failures++;
        this.#buffer = batch.map(ownedRecord).concat(this.#buffer);
        if (this.#buffer.length > this.#options.bufferLimit) this.#dropOldest();
        this.#backoffMs = Math.min(maxBackoffMs, Math.max(100, this.#backoffMs * 2));
        this.#retryAtMs = this.#now() + this.#backoffMs;
        this.#logger.warn(
          { event: 'check_records_write_failed', err: error, buffered: this.#buffer.length },
          'writing check records failed; will retry',
        );
        return;
      }
    }
  }

  #dropOldest(): void {
    const excess = this.#buffer.length - this.#options.bufferLimit;
    const lost = this.#buffer.splice(0, excess);
    this.dropped += lost.length;
    this.#logger.error(
      { event: 'check_records_dropped', count: lost.length, records: lost },
      'check record buffer full; oldest records dropped (they are in this log line)',
    );
  }
}

/** The record with strings of its own (no slice of its check's text keeps that text alive). */
export function ownedRecord(record: CheckRecord): CheckRecord {
  return {
    ...record,
    id: ownString(record.id),
    licenseId: ownString(record.licenseId),
    installationId: ownString(record.installationId),
    sdkVersion: ownString(record.sdkVersion),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
