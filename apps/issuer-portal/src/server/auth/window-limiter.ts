// Counts events per key (a client address) in fixed windows, in this process. For requests that
// anyone may send and that write something (a single sign-on login in flight is a row in the
// store until it is used or ten minutes pass): a bound on what one address can make, where the
// failed-login counters (shared through the store) would cost a write of their own.

export interface WindowLimit {
  /** Events a key may have in one window. */
  limit: number;
  windowMs: number;
}

export class WindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly options: WindowLimit,
    private readonly now: () => number,
    /** Keys remembered at most; past it, windows that ended go first, then the oldest. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one event of `key`: 0 when allowed, else the whole seconds until its window ends. */
  take(key: string): number {
    const now = this.now();
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= this.options.windowMs) {
      if (window === undefined && this.#windows.size >= this.maxKeys) this.#forget(now);
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= this.options.limit) {
      return Math.max(1, Math.ceil((window.start + this.options.windowMs - now) / 1000));
    }
    window.count++;
    return 0;
  }

  #forget(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.options.windowMs) this.#windows.delete(key);
    }
    if (this.#windows.size < this.maxKeys) return;
    const oldest = this.#windows.keys().next();
    if (oldest.done !== true) this.#windows.delete(oldest.value);
  }
}
