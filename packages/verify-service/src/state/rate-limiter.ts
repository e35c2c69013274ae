// A token bucket per caller key (client address, installation id), in memory and O(1) per call:
// a few float operations and one Map lookup. The map is bounded; when it is full, buckets that
// have refilled completely carry no information and are dropped first, then the oldest.
import type { RateLimit } from '../config.js';
import { ownString } from './own-string.js';

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxKeys: number;

  constructor(limit: RateLimit, maxKeys = 100_000) {
    this.#burst = limit.burst;
    this.#perMs = limit.perSecond / 1000;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token for `key`: 0 when allowed, otherwise the whole seconds to wait. */
  take(key: string, nowMs: number): number {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#makeRoom(nowMs);
      bucket = { tokens: this.#burst, atMs: nowMs };
      // A key of its own: an installation id read from a check keeps its payload (own-string.ts).
      this.#buckets.set(ownString(key), bucket);
    } else if (nowMs > bucket.atMs) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (nowMs - bucket.atMs) * this.#perMs);
      bucket.atMs = nowMs;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    if (this.#perMs <= 0) return 3600;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }

  /**
   * Gives back the token `take` took for `key`, when what it was taken for is refused as not
   * the caller's doing (a replay of its check by someone else): a bucket stays the caller's own.
   */
  giveBack(key: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.#burst, bucket.tokens + 1);
  }

  #makeRoom(nowMs: number): void {
    for (const [key, bucket] of this.#buckets) {
      const refilled = bucket.tokens + (nowMs - bucket.atMs) * this.#perMs >= this.#burst;
      if (refilled) this.#buckets.delete(key);
    }
    // Still full: everyone is active, drop the oldest-created tenth.
    if (this.#buckets.size >= this.#maxKeys) {
      let drop = Math.ceil(this.#maxKeys / 10);
      for (const key of this.#buckets.keys()) {
        if (drop-- <= 0) break;
        this.#buckets.delete(key);
      }
    }
  }
}
