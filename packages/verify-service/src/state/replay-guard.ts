// Remembers the nonces of accepted checks so that a captured request cannot be replayed. A check
// is accepted only while its `iat` is within the window of the service's clock, so a nonce need
// be held no longer than twice the window; the set is bounded, oldest first out, and an early
// eviction is counted (it would reopen a replay for that nonce). The guard is per instance: N
// instances behind a load balancer each keep their own (see the README, "Scaling out").

import { ownString } from './own-string.js';

export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #capacity: number;
  readonly #holdMs: number;
  /** Nonces dropped for room while still inside the window. */
  evictedEarly = 0;

  constructor(options: { capacity: number; windowSeconds: number }) {
    this.#capacity = options.capacity;
    this.#holdMs = 2 * options.windowSeconds * 1000;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Records `nonce` for `installationId`; false when it was already seen (a replay). */
  admit(installationId: string, nonce: string, nowMs: number): boolean {
    const key = `${installationId}.${nonce}`;
    const heldUntil = this.#seen.get(key);
    if (heldUntil !== undefined && heldUntil > nowMs) return false;
    if (heldUntil !== undefined) this.#seen.delete(key);
    // A key of its own: one built from the claims would keep the check's payload (own-string.ts).
    this.#seen.set(ownString(key), nowMs + this.#holdMs);
    this.#expire(nowMs);
    return true;
  }

  #expire(nowMs: number): void {
    // Entries are in insertion order, which is expiry order: stop at the first one still held.
    for (const [key, heldUntil] of this.#seen) {
      const full = this.#seen.size > this.#capacity;
      if (heldUntil > nowMs && !full) return;
      if (heldUntil > nowMs) this.evictedEarly++;
      this.#seen.delete(key);
    }
  }
}
