// The key set version each installation reports with its checks, written after the batch of
// check records: a report that cannot be written is logged, never fails or repeats the batch.
import { describe, expect, it } from 'vitest';
import { logged, record } from '../../test/support/check-reports.js';
import type { CheckRecord } from '../store-port.js';
import { recordingKeysetReports } from './keyset-reports.js';

describe('recordingKeysetReports', () => {
  it('writes the checks, then the versions reported by version 2 checks', async () => {
    const written: CheckRecord[][] = [];
    const reports: unknown[] = [];
    const store = {
      recordChecks: async (records: CheckRecord[]) => void written.push(records),
      recordKeysetReports: async (batch: readonly unknown[]) => {
        reports.push(...batch);
        return batch.length;
      },
    };
    const { logger, lines } = logged();
    await recordingKeysetReports(store, logger).recordChecks([
      record(1, { keyset: 3 }),
      record(2),
      record(3, { keyset: 0 }),
    ]);
    expect(written).toHaveLength(1);
    expect(reports).toEqual([
      { installationId: 'inst_1', keyset: 3, at: 1_001, source: 'check' },
      { installationId: 'inst_3', keyset: 0, at: 1_003, source: 'check' },
    ]);
    expect(lines).toEqual([]);
  });

  it('a report that cannot be written is logged; the batch of check records still counts as written', async () => {
    const written: CheckRecord[][] = [];
    const store = {
      recordChecks: async (records: CheckRecord[]) => void written.push(records),
      recordKeysetReports: async () => {
        throw Object.assign(new Error('not authorized on licensor to execute command'), {
          code: 13,
        });
      },
    };
    const { logger, lines } = logged();
    await expect(
      recordingKeysetReports(store, logger).recordChecks([record(1, { keyset: 2 })]),
    ).resolves.toBeUndefined();
    expect(written).toHaveLength(1);
    expect(lines).toEqual([
      expect.objectContaining({ event: 'keyset_report_unrecorded', count: 1 }),
    ]);
  });

  it('a write that keeps failing is logged once a minute, with how many were dropped since', async () => {
    const store = {
      recordChecks: async () => {},
      recordKeysetReports: async () => {
        throw new Error('not authorized');
      },
    };
    const { logger, lines } = logged();
    let clock = 0;
    const recorder = recordingKeysetReports(store, logger, () => clock);
    for (let i = 0; i < 5; i++) {
      await recorder.recordChecks([record(i, { keyset: 1 }), record(i + 10, { keyset: 1 })]);
      clock += 10_000;
    }
    expect(lines.map((l) => l.count)).toEqual([2]);
    clock = 60_000;
    await recorder.recordChecks([record(20, { keyset: 1 })]);
    expect(lines.map((l) => l.count)).toEqual([2, 9]);
  });

  it('a failed check record write fails the batch before any report is written', async () => {
    let reported = 0;
    const store = {
      recordChecks: async () => {
        throw new Error('store down');
      },
      recordKeysetReports: async (batch: readonly unknown[]) => {
        reported += batch.length;
        return batch.length;
      },
    };
    const { logger } = logged();
    await expect(
      recordingKeysetReports(store, logger).recordChecks([record(1, { keyset: 2 })]),
    ).rejects.toThrow('store down');
    expect(reported).toBe(0);
  });

  it('a store without reports (an in-memory test store) writes the checks only', async () => {
    const written: CheckRecord[][] = [];
    const { logger } = logged();
    await recordingKeysetReports(
      { recordChecks: async (records: CheckRecord[]) => void written.push(records) },
      logger,
    ).recordChecks([record(1, { keyset: 2 })]);
    expect(written).toHaveLength(1);
  });
});
