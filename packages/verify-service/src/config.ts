// The service's tunables in one place, with the defaults the README documents. Every bound that
// matters for security (revocation delay, replay window) is here, named for what it bounds.

import type { ForkAction } from '@licensor/issuer/checks';

export interface RateLimit {
  /** Requests a caller may send at once. */
  burst: number;
  /** Requests a caller regains per second. */
  perSecond: number;
}

export interface VerifyConfig {
  /** Largest accepted POST /v1/checks body. A check token is about 600 bytes. */
  maxBodyBytes: number;
  /** A check whose `iat` is further than this from the service's clock is refused (seconds). */
  checkWindowSeconds: number;
  /** Nonces remembered for replay detection (per instance); the oldest go first when full. */
  replayCacheSize: number;
  /** How long a license's state is cached: the bound on how late a revocation takes effect. */
  viewCacheTtlMs: number;
  /** Licenses whose state is held in the cache at once. */
  viewCacheSize: number;
  /** A store call slower than this counts as the store being unavailable. */
  storeTimeoutMs: number;
  /** The SDK is told to check again within this many seconds (never past the term end). */
  checkIntervalSeconds: number;
  /** Check records are written when this many are buffered... */
  recordBatchSize: number;
  /** ...or after this long, whichever comes first. */
  recordFlushIntervalMs: number;
  /** Records held while the store is failing; past this the oldest are dropped and counted. */
  recordBufferLimit: number;
  /** Token bucket per client address. */
  rateLimitPerIp: RateLimit;
  /** Token bucket per installation id (the check's `kid`). */
  rateLimitPerInstallation: RateLimit;
  /** Take the client address from the last X-Forwarded-For entry (behind a load balancer). */
  trustProxy: boolean;
  /** Log one line per answered check (info level), and refused ones as below. */
  logChecks: boolean;
  /**
   * Refused checks are logged once per client, code and interval of this length; the rest of
   * the interval are counted in one `refusals_suppressed` line when it ends.
   */
  refusalLogIntervalMs: number;
  /** What a fork does for a license whose license and plan set nothing (check-chain.ts in the issuer). */
  forkAction: ForkAction;
  /**
   * How long the shared store holds the nonce of a check made with a clock off by more than the
   * window (seconds): the window cannot refuse its replay, so the store does, this long.
   */
  offClockNonceHoldSeconds: number;
  /**
   * How often the vendor's signed key sets are read again from the store, to relay a new
   * version with statuses (also at once on SIGHUP).
   */
  keysetRefreshMs: number;
}

export const defaultConfig: Readonly<VerifyConfig> = Object.freeze({
  maxBodyBytes: 8 * 1024,
  checkWindowSeconds: 300,
  replayCacheSize: 200_000,
  viewCacheTtlMs: 5_000,
  viewCacheSize: 50_000,
  storeTimeoutMs: 2_000,
  checkIntervalSeconds: 24 * 60 * 60,
  recordBatchSize: 200,
  recordFlushIntervalMs: 250,
  recordBufferLimit: 100_000,
  rateLimitPerIp: Object.freeze({ burst: 100, perSecond: 50 }),
  rateLimitPerInstallation: Object.freeze({ burst: 10, perSecond: 1 / 6 }),
  trustProxy: false,
  logChecks: true,
  refusalLogIntervalMs: 10_000,
  forkAction: 'warn',
  offClockNonceHoldSeconds: 30 * 24 * 60 * 60,
  keysetRefreshMs: 30_000,
});

export function resolveConfig(overrides: Partial<VerifyConfig> = {}): VerifyConfig {
  return { ...defaultConfig, ...overrides };
}
