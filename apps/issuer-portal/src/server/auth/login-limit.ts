// The login limit, kept in the issuer's store so every portal process counts the same failures.
// Failures are counted per account AND client address together, and per account across
// addresses. A client is refused (429) when it has failed too often for that account itself,
// or when the account has had too many failures overall AND this client is one of those that
// failed. A client that has not failed for the account (a fresh browser, the real user at
// another desk) always gets its password checked: someone else's failures never lock anyone
// out, while guessing one account from many addresses costs each address its first failure.
// Only failures count; a correct password clears the client's own count. A wrong current
// password on a password change and a wrong TOTP code count as failures too.
import { createHash } from 'node:crypto';
import type { AutomationStore } from '@licensor/issuer';
import { PortalError } from '../http/portal-errors.js';

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

export class LoginLimiter {
  constructor(
    private readonly store: AutomationStore,
    private readonly options: LoginRateLimit,
    private readonly now: () => number,
  ) {}

  private keys(account: string, address: string) {
    const name = account.trim().toLowerCase();
    return { client: keyOf('client', name, address), account: keyOf('account', name) };
  }

  /** Refuses with RateLimitedError when this client may not try this account now. */
  async check(account: string, address: string): Promise<void> {
    const { windowMs, limit, accountLimit } = this.options;
    const keys = this.keys(account, address);
    const at = this.now();
    const own = await this.store.loginFailures(keys.client, at, windowMs);
    if (own === 0) return;
    const overall =
      accountLimit === undefined ? 0 : await this.store.loginFailures(keys.account, at, windowMs);
    if (own >= limit || (accountLimit !== undefined && overall >= accountLimit)) {
      throw new RateLimitedError(Math.ceil(windowMs / 1000));
    }
  }

  async fail(account: string, address: string): Promise<void> {
    const keys = this.keys(account, address);
    const at = this.now();
    await this.store.recordLoginFailure(keys.client, at, this.options.windowMs);
    await this.store.recordLoginFailure(keys.account, at, this.options.windowMs);
  }

  /** A correct password: this client's own failures are forgotten. */
  async succeed(account: string, address: string): Promise<void> {
    await this.store.clearLoginFailures(this.keys(account, address).client);
  }
}
