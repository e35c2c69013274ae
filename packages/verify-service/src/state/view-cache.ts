// A short-lived cache of the store's answer for one license (the CheckView, or "no such
// license"), with the installation's public key already decoded. Its TTL is the bound on how
// late a revocation, suspension or renewal takes effect on this instance. Concurrent misses for
// one license share a single store read; a store error or a read slower than the timeout is
// "store unavailable" and is never cached. Negative answers are cached like positive ones, so
// an unknown license costs the same as a known one.
import { jwkThumbprint, publicKeyFromJwk, toPublicJwk } from '@licensor/token';
import { storeUnavailable } from '../errors.js';
import type { CheckStore, CheckView } from '../store-port.js';
import { ownString } from './own-string.js';

export interface CachedView {
  view: CheckView | null;
  /** The bound installation's public key, or null when the record holds none usable. */
  installationPublicKey: Uint8Array | null;
}

interface Slot {
  entry: CachedView;
  expiresAtMs: number;
}

export class ViewCache {
  readonly #store: Pick<CheckStore, 'getCheckView'>;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #timeoutMs: number;
  readonly #slots = new Map<string, Slot>();
  readonly #pending = new Map<string, Promise<CachedView>>();
  hits = 0;
  misses = 0;

  constructor(
    store: Pick<CheckStore, 'getCheckView'>,
    options: { ttlMs: number; maxEntries: number; storeTimeoutMs: number },
  ) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#timeoutMs = options.storeTimeoutMs;
  }

  /** The cached answer if still fresh: no promise, so the hot path stays synchronous. */
  peek(licenseId: string, nowMs: number): CachedView | undefined {
    const slot = this.#slots.get(licenseId);
    if (slot === undefined) return undefined;
    if (slot.expiresAtMs <= nowMs) {
      this.#slots.delete(licenseId);
      return undefined;
    }
    this.hits++;
    return slot.entry;
  }

  /** Reads the store (once for concurrent callers) and caches the answer. */
  load(licenseId: string, nowMs: number): Promise<CachedView> {
    this.misses++;
    const inFlight = this.#pending.get(licenseId);
    if (inFlight !== undefined) return inFlight;
    const read = this.#read(licenseId, nowMs).finally(() => this.#pending.delete(licenseId));
    this.#pending.set(ownString(licenseId), read);
    return read;
  }

  /** Forgets everything (tests, and an operator who wants a revocation applied now). */
  clear(): void {
    this.#slots.clear();
  }

  async #read(licenseId: string, nowMs: number): Promise<CachedView> {
    let view: CheckView | null;
    try {
      view = await withTimeout(this.#store.getCheckView(licenseId), this.#timeoutMs);
    } catch (cause) {
      throw storeUnavailable(cause);
    }
    const entry: CachedView = { view, installationPublicKey: decodeKey(view) };
    if (this.#ttlMs > 0) {
      if (this.#slots.size >= this.#maxEntries) {
        const oldest = this.#slots.keys().next();
        if (oldest.done !== true) this.#slots.delete(oldest.value);
      }
      // A key of its own: a license id read from a check keeps its payload (own-string.ts).
      this.#slots.set(ownString(licenseId), { entry, expiresAtMs: nowMs + this.#ttlMs });
    }
    return entry;
  }
}

/** The record's installation key, if it is a usable key whose thumbprint is the bound id. */
function decodeKey(view: CheckView | null): Uint8Array | null {
  if (view?.installationKey == null || view.installationId === null) return null;
  try {
    const key = publicKeyFromJwk(view.installationKey);
    return jwkThumbprint(toPublicJwk(key)) === view.installationId ? key : null;
  } catch {
    return null;
  }
}

export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`store call exceeded ${ms} ms`)), ms);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
