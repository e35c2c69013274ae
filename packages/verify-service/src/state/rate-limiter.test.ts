// The token buckets behind 429: burst, refill, one bucket per caller, bounded memory.
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the seconds until the next token', () => {
    const limiter = new RateLimiter({ burst: 3, perSecond: 0.5 });
    expect([0, 1, 2].map(() => limiter.take('ip', 0))).toEqual([0, 0, 0]);
    expect(limiter.take('ip', 0)).toBe(2);
  });

  it('refills with time, never above the burst', () => {
    const limiter = new RateLimiter({ burst: 2, perSecond: 1 });
    limiter.take('ip', 0);
    limiter.take('ip', 0);
    expect(limiter.take('ip', 1_000)).toBe(0);
    expect(limiter.take('ip', 1_000)).toBe(1);
    expect(limiter.take('ip', 60_000)).toBe(0);
    expect(limiter.take('ip', 60_000)).toBe(0);
    expect(limiter.take('ip', 60_000)).toBeGreaterThan(0);
  });

  it('keeps callers apart', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 1 });
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(1);
  });

  it('bounds its memory: refilled buckets are dropped first when full', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 1 }, 2);
    limiter.take('a', 0);
    limiter.take('b', 5_000);
    limiter.take('c', 5_000); // a has refilled: dropped, c fits
    expect(limiter.take('b', 5_000)).toBe(1); // b kept its state
  });
});
