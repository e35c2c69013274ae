// The auto-renew job's runner: a run at start, one run at a time, stop waits for the run.
import { describe, expect, it } from 'vitest';
import type { AutoRenewResult } from '../facade.js';
import { startAutoRenew } from './auto-renew.js';

const empty: AutoRenewResult = { renewed: [], overtaken: 0, failed: [], more: false };

describe('startAutoRenew', () => {
  it('runs at once with its options, never two runs at a time, and stop waits for the run', async () => {
    const calls: unknown[] = [];
    let finish: (result: AutoRenewResult) => void = () => {};
    const issuer = {
      autoRenew: (options: unknown) => {
        calls.push(options);
        return new Promise<AutoRenewResult>((resolve) => {
          finish = resolve;
        });
      },
    };
    const results: (AutoRenewResult | Error)[] = [];
    const job = startAutoRenew({ issuer, leadDays: 3, onRun: (r) => results.push(r) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([{ leadDays: 3 }]);
    // A second run while the first is going is the same run.
    const again = job.runOnce();
    expect(calls).toHaveLength(1);
    finish(empty);
    await expect(again).resolves.toEqual(empty);
    await job.stop();
    expect(results).toEqual([empty]);
  });

  it('reports a failed run and keeps going', async () => {
    const results: (AutoRenewResult | Error)[] = [];
    const job = startAutoRenew({
      issuer: { autoRenew: async () => Promise.reject(new Error('store down')) },
      onRun: (r) => results.push(r),
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    await job.stop();
    expect(results).toEqual([new Error('store down')]);
  });
});
