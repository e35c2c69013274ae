// Log lines for refused requests, bounded per client: a flooding client must not be able to
// fill the disk through the log (40 s of one client's ERR_RATE_LIMITED once wrote 90 MB, #16.6).
// The first refusal of a client and code in an interval is logged in full; the rest of that
// interval are counted and reported in one `refusals_suppressed` line when it ends. Failures of
// the service itself (5xx, a store outage) are keyed by code alone, since every client meets the
// same outage. The table of clients is bounded; past it, refusals are counted under one key.
import type { Logger } from 'pino';
import { ownString } from '../state/own-string.js';

export interface RefusalLogOptions {
  /** Length of one interval: at most one full line per client and code in it. */
  intervalMs: number;
  /** Clients tracked at once; refusals from more are counted together. */
  maxClients: number;
}

interface Interval {
  client: string;
  code: string;
  startedMs: number;
  suppressed: number;
}

const OVERFLOW = '(other clients)';

export class RefusalLog {
  readonly #logger: Logger;
  readonly #options: RefusalLogOptions;
  readonly #intervals = new Map<string, Interval>();

  constructor(logger: Logger, options: RefusalLogOptions) {
    this.#logger = logger;
    this.#options = options;
  }

  /**
   * One refused request. `level` is `info` for a client's mistake, `error` for the service's
   * own failure (then `fields` may carry `err`). Returns true when the line was written.
   */
  refused(
    entry: { client: string; code: string; level: 'info' | 'error'; fields: object },
    nowMs: number,
  ): boolean {
    const client = entry.level === 'error' ? '*' : entry.client;
    let key = `${entry.code} ${client}`;
    let interval = this.#intervals.get(key);
    if (interval !== undefined && nowMs - interval.startedMs >= this.#options.intervalMs) {
      this.#report(key, interval);
      interval = undefined;
    }
    if (interval === undefined && this.#intervals.size >= this.#options.maxClients) {
      this.sweep(nowMs);
      if (this.#intervals.size >= this.#options.maxClients) {
        key = `${entry.code} ${OVERFLOW}`;
        interval = this.#intervals.get(key) ?? this.#open(key, OVERFLOW, entry.code, nowMs);
      }
    }
    if (interval !== undefined) {
      interval.suppressed++;
      return false;
    }
    this.#open(key, client, entry.code, nowMs);
    const message = entry.level === 'error' ? 'check failed' : 'check refused';
    this.#logger[entry.level]({ ...entry.fields, code: entry.code, client: entry.client }, message);
    return true;
  }

  /** Reports and forgets every interval that has ended by `nowMs` (Infinity: all of them). */
  sweep(nowMs: number): void {
    for (const [key, interval] of this.#intervals) {
      if (nowMs - interval.startedMs >= this.#options.intervalMs) this.#report(key, interval);
    }
  }

  #open(key: string, client: string, code: string, nowMs: number): Interval {
    // Strings of their own: a client read from X-Forwarded-For is a slice of the whole header,
    // up to node's 16 KB of headers, which the interval would otherwise keep (own-string.ts).
    const interval = { client: ownString(client), code, startedMs: nowMs, suppressed: 0 };
    this.#intervals.set(ownString(key), interval);
    return interval;
  }

  #report(key: string, interval: Interval): void {
    this.#intervals.delete(key);
    if (interval.suppressed === 0) return;
    this.#logger.warn(
      {
        event: 'refusals_suppressed',
        code: interval.code,
        client: interval.client,
        count: interval.suppressed,
        sinceMs: interval.startedMs,
      },
      `${interval.suppressed} more refusals (${interval.code}) not logged one by one`,
    );
  }
}
