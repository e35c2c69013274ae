// The bench harness's statistics: a median of an even count of rounds is the mean of the two
// middle ones (it was the upper one: with two rounds a bench reported the faster).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript, no declarations
import { median, percentile } from '../../bench/kit.mjs';

describe('bench kit statistics', () => {
  it('takes the middle value of an odd count and the mean of the two middle of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 40])).toBe(25);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('leaves the values it is given in their order', () => {
    const values = [3, 1, 2, 4];
    median(values);
    expect(values).toEqual([3, 1, 2, 4]);
  });

  it('reads a percentile by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
  });
});
