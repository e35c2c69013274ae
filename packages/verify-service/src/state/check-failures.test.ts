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

  it('logs a fact its write failed to store in full, and tries it again at the next refusal', async () => {
    let down = true;
    const written: number[] = [];
    const lines: string[] = [];
    const reporter = new CheckFailureReporter(
      async (facts) => {
        if (down) throw new Error('store down');
        written.push(...facts.map((f) => f.at));
      },
      pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }),
    );
    reporter.report(refusal(T0));
    await reporter.settle();
    expect(reporter.failures).toBe(1);
    // The fact the store did not take is logged in full, at warn, with the cause.
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 40,
        event: 'check_failure_unrecorded',
        err: expect.objectContaining({ message: 'store down' }),
        failure: expect.objectContaining({
          licenseId: 'lic_valid',
          installationId: 'inst-a',
          reason: 'ERR_SIGNATURE_INVALID',
          at: T0,
        }),
      }),
    ]);
    down = false;
    reporter.report(refusal(T0 + 10));
    reporter.report(refusal(T0 + 20));
    await reporter.settle();
    expect(written).toEqual([T0 + 10]);
  });
});
