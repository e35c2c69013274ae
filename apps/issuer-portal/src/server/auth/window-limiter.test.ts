import { describe, expect, it } from 'vitest';
import { WindowLimiter } from './window-limiter.js';

describe('WindowLimiter', () => {
  it('allows the limit in a window, then answers the seconds left, and starts again after it', () => {
    let now = 1_000_000;
    const limiter = new WindowLimiter({ limit: 2, windowMs: 60_000 }, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    now += 15_000;
    expect(limiter.take('a')).toBe(45);
    expect(limiter.take('b')).toBe(0);
    now += 45_000;
    expect(limiter.take('a')).toBe(0);
  });

  it('remembers a bounded number of addresses: ended windows go first, then the oldest', () => {
    let now = 0;
    const limiter = new WindowLimiter({ limit: 1, windowMs: 1_000 }, () => now, 2);
    expect(limiter.take('a')).toBe(0);
    now = 2_000;
    expect(limiter.take('b')).toBe(0);
    expect(limiter.take('b')).toBe(1);
    // 'a' ended: forgotten to make room; 'b' is still counted.
    expect(limiter.take('c')).toBe(0);
    expect(limiter.take('b')).toBe(1);
    // Full of live windows: the oldest ('b') goes.
    expect(limiter.take('d')).toBe(0);
    expect(limiter.take('b')).toBe(0);
  });
});
