// The login limit, kept in the issuer's store so every portal process counts the same failures.
// Failures are counted per account AND client address together, and per account across
// addresses. A client is refused (429) when it has failed too often for that account itself,
// or when the account has had too many failures overall AND this client is one of those that
// failed. A client that has not failed for the account (a fresh browser, the real user at
// another desk) always gets its password checked: someone else's failures never lock anyone
// out, while guessing one account from many addresses costs each address its first failure.
// Each attempt counts as a failure of the client before its guess is judged (see `begin`), so
// concurrent requests, to one portal process or several on the store, get no more guesses than
// sequential ones; a correct password (or code) clears the client's own count. A wrong current
// password on a password change and a wrong TOTP code count as failures too.
import { createHash } from 'node:crypto';
import type { AutomationStore } from '@licensor/issuer';
import { PortalError } from '../http/portal-errors.js';
import { clientKeyOf } from './client-key.js';

export interface LoginRateLimit {
  windowMs: number;
  /** Failures allowed per account and client address in the window. */
  limit: number;
  /** Failures allowed per account from all addresses, before clients that failed are refused. */
  accountLimit?: number;
}

export const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimit = {
  windowMs: 15 * 60 * 1000,
  limit: 10,
  accountLimit: 30,
};

export class RateLimitedError extends PortalError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(
      'ERR_RATE_LIMITED',
      'Too many failed attempts for this account from this address. Wait a few minutes, then try again.',
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function keyOf(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}

/**
 * One guess under the limit (a password, a TOTP or recovery code): counted as a failure of the
 * client before the guess is judged, so a burst of requests cannot all be judged before any of
 * them has counted. A right password without its 2FA code is withdrawn (no longer counted);
 * an attempt that ends any other way neither failed nor succeeded (an error) stays counted for
 * the client until the window passes or a guess succeeds.
 */
export interface LoginAttempt {
  /** The guess was wrong: it stays counted for the client, and counts for the account. */
  failed(): Promise<void>;
  /** The guess was right: the client's failures, this attempt's included, are forgotten. */
  succeeded(): Promise<void>;
  /**
   * The attempt was no guess after all (a right password sent without its 2FA code): it is taken
   * back from the client's count, the client's other failures stay.
   */
  withdrawn(): Promise<void>;
}

export class LoginLimiter {
  /** Attempts of this process that passed the check and have not yet counted in the store. */
  readonly #pending = new Map<string, number>();

  constructor(
    private readonly store: AutomationStore,
    private readonly options: LoginRateLimit,
    private readonly now: () => number,
  ) {}

  private keys(account: string, address: string) {
    const name = account.trim().toLowerCase();
    // An IPv6 client is counted by its /64 (client-key.ts), so a block of addresses is one client.
    return { client: keyOf('client', name, clientKeyOf(address)), account: keyOf('account', name) };
  }

  /** Throws RateLimitedError when a client with `own` failures may not try the account now. */
  private async judge(own: number, accountKey: string, at: number): Promise<void> {
    const { windowMs, limit, accountLimit } = this.options;
    if (own === 0) return;
    const overall =
      accountLimit === undefined ? 0 : await this.store.loginFailures(accountKey, at, windowMs);
    if (own >= limit || (accountLimit !== undefined && overall >= accountLimit)) {
      throw new RateLimitedError(Math.ceil(windowMs / 1000));
    }
  }

  /**
   * Starts a guess of this client at this account, or refuses with RateLimitedError. The
   * attempt counts in the store as one of the client's failures before the guess is judged:
   * concurrent attempts, from this process or any other on the store, each see those before
   * them, so at most `limit` guesses per account and address are judged in a window. Within one
   * process a refusal stores nothing; an attempt refused only because another process's
   * attempt counted first stays counted.
   */
  async begin(account: string, address: string): Promise<LoginAttempt> {
    const { windowMs } = this.options;
    const keys = this.keys(account, address);
    const at = this.now();
    const stored = await this.store.loginFailures(keys.client, at, windowMs);
    // Attempts of this process between this check and their count in the store are held here,
    // so that a burst is judged in order: nothing else runs between the check of `own` and the
    // hold.
    const own = stored + (this.#pending.get(keys.client) ?? 0);
    if (own >= this.options.limit) throw new RateLimitedError(Math.ceil(windowMs / 1000));
    this.#hold(keys.client, 1);
    let counted: number;
    try {
      await this.judge(own, keys.account, at);
      counted = await this.store.recordLoginFailure(keys.client, at, windowMs);
    } finally {
      this.#hold(keys.client, -1);
    }
    // Judged again with the failures counted before this one (other processes' included).
    await this.judge(counted - 1, keys.account, at);
    return {
      failed: async () => {
        await this.store.recordLoginFailure(keys.account, this.now(), windowMs);
      },
      succeeded: () => this.store.clearLoginFailures(keys.client),
      // The in-process hold was released when the attempt counted in the store (above).
      withdrawn: () => this.store.withdrawLoginFailure(keys.client, at),
    };
  }

  #hold(key: string, by: 1 | -1): void {
    const next = (this.#pending.get(key) ?? 0) + by;
    if (next === 0) this.#pending.delete(key);
    else this.#pending.set(key, next);
  }
}
