// The token bench's measuring helpers (#16.22): a bench sizes its pool of fresh inputs to the
// rate it measures, so a fast machine never runs it dry and no input is measured twice.
import { describe, expect, it } from 'vitest';
import { FreshPool, measureFresh, measureOnce } from '../bench/measure.mjs';

describe('token bench measuring', () => {
  it('sizes the fresh pool to a machine far faster than a fixed pool allows', () => {
    let made = 0;
    const pool = new FreshPool(() => made++, { floor: 100 });
    const seen = new Set<number>();
    let repeats = 0;
    const op = () => {
      const item = pool.take();
      if (seen.has(item)) repeats += 1;
      seen.add(item);
    };
    // A near-free operation runs millions of times a second: a fixed pool of 20,000 ran dry.
    for (let round = 0; round < 3; round++) {
      expect(measureFresh(pool, op, 0.02)).toBeGreaterThan(0);
    }
    expect(repeats).toBe(0);
    expect(seen.size).toBeGreaterThan(20_000);
  });

  it('stops at the limit instead of running past the inputs it has', () => {
    let calls = 0;
    const { count } = measureOnce(() => calls++, 5, 500);
    expect(calls).toBeLessThanOrEqual(500);
    expect(count).toBeLessThanOrEqual(500);
  });

  it('refuses to hand out an input twice', () => {
    const pool = new FreshPool(() => 1, { floor: 1 });
    pool.refill(0);
    pool.take();
    expect(() => pool.take()).toThrow(/ran dry/);
  });
});
