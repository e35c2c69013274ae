// The reporter of refused checks: one store write per license, reason and hour, whatever the
// number of refusals; a failed write is tried again by the next refusal.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CheckFailureReporter } from './check-failures.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const refusal = (at: number, reason = 'ERR_SIGNATURE_INVALID') => ({
  licenseId: 'lic_valid',
  installationId: 'inst-a',
  reason,
  at,
});

describe('CheckFailureReporter', () => {
  it('writes one fact per license, reason and hour however many refusals come', async () => {
    const written: string[] = [];
    const reporter = new CheckFailureReporter(
      async (facts) => {
        written.push(...facts.map((f) => `${f.reason}@${f.at}`));
      },
      pino({ level: 'silent' }),
    );
    for (let i = 0; i < 1_000; i++) reporter.report(refusal(T0 + i));
    reporter.report(refusal(T0 + 5, 'ERR_CHECK_REPLAYED'));
    reporter.report(refusal(T0 + 3_600_000));
    await reporter.settle();
    expect(written).toEqual([
      `ERR_SIGNATURE_INVALID@${T0}`,
      `ERR_CHECK_REPLAYED@${T0 + 5}`,
      `ERR_SIGNATURE_INVALID@${T0 + 3_600_000}`,
    ]);
    expect(reporter.written).toBe(3);
  });

  it('tries a fact again at the next refusal after its write failed', async () => {
    let down = true;
    const written: number[] = [];
    const reporter = new CheckFailureReporter(
      async (facts) => {
        if (down) throw new Error('store down');
        written.push(...facts.map((f) => f.at));
      },
      pino({ level: 'silent' }),
    );
    reporter.report(refusal(T0));
    await reporter.settle();
    expect(reporter.failures).toBe(1);
    down = false;
    reporter.report(refusal(T0 + 10));
    reporter.report(refusal(T0 + 20));
    await reporter.settle();
    expect(written).toEqual([T0 + 10]);
  });
});
