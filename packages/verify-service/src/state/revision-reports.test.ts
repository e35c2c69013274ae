// The license revision each installation reports holding, written after the batch of check
// records (and the key set reports): a report that cannot be written is logged, never fails or
// repeats the batch.
import { describe, expect, it } from 'vitest';
import { logged, record } from '../../test/support/check-reports.js';
import type { CheckRecord, CheckStore } from '../store-port.js';
import { recordingKeysetReports } from './keyset-reports.js';
import { recordingRevisionReports } from './revision-reports.js';

describe('recordingRevisionReports', () => {
  it('writes the checks, then the key set versions, then the revisions each check reported holding', async () => {
    const calls: [string, unknown[]][] = [];
    const store = {
      recordChecks: async (records: CheckRecord[]) => void calls.push(['checks', records]),
      recordKeysetReports: async (batch: readonly unknown[]) => {
        calls.push(['keysets', [...batch]]);
        return batch.length;
      },
      recordRevisionReports: async (batch: readonly unknown[]) => {
        calls.push(['revisions', [...batch]]);
        return batch.length;
      },
    };
    const { logger, lines } = logged();
    const recorder = recordingRevisionReports(recordingKeysetReports(store, logger), store, logger);
    await recorder.recordChecks([
      record(1, { rev: 2, keyset: 3 }),
      record(2),
      record(3, { rev: 1 }),
    ]);
    expect(calls.map(([what]) => what)).toEqual(['checks', 'keysets', 'revisions']);
    expect(calls[2]![1]).toEqual([
      { licenseId: 'lic_1', installationId: 'inst_1', revision: 2, at: 1_001 },
      { licenseId: 'lic_3', installationId: 'inst_3', revision: 1, at: 1_003 },
    ]);
    expect(lines).toEqual([]);
  });

  it('writes one report per license and installation of a batch: the highest revision, at its first report', async () => {
    const written: unknown[][] = [];
    const store = {
      recordChecks: async () => undefined,
      recordRevisionReports: async (batch: readonly unknown[]) => {
        written.push([...batch]);
        return batch.length;
      },
    };
    const same = (at: number, rev: number): CheckRecord => ({
      ...record(7, { rev }),
      id: `chk_${at}`,
      at,
    });
    const recorder = recordingRevisionReports(store, store, logged().logger);
    await recorder.recordChecks([
      same(10, 1),
      same(11, 2),
      same(12, 2),
      same(9, 2),
      same(13, 1),
      record(8, { rev: 4 }),
    ]);
    expect(written).toEqual([
      [
        { licenseId: 'lic_7', installationId: 'inst_7', revision: 2, at: 9 },
        { licenseId: 'lic_8', installationId: 'inst_8', revision: 4, at: 1_008 },
      ],
    ]);
  });

  it('a report that cannot be written is logged once a minute; the check records still count as written', async () => {
    const written: CheckRecord[][] = [];
    const store = {
      recordChecks: async (records: CheckRecord[]) => void written.push(records),
      recordRevisionReports: async () => {
        throw Object.assign(new Error('not authorized on licensor to execute command'), {
          code: 13,
        });
      },
    };
    const { logger, lines } = logged();
    let clock = 0;
    const recorder = recordingRevisionReports(store, store, logger, () => clock);
    await recorder.recordChecks([record(1, { rev: 1 })]);
    await recorder.recordChecks([record(2, { rev: 1 }), record(3, { rev: 2 })]);
    clock = 60_000;
    await recorder.recordChecks([record(4, { rev: 1 })]);
    expect(written).toHaveLength(3);
    expect(lines.map((l) => [l.event, l.count])).toEqual([
      ['revision_report_unrecorded', 1],
      ['revision_report_unrecorded', 3],
    ]);
  });

  it('a store without revision reports writes the checks and nothing else', async () => {
    const written: CheckRecord[][] = [];
    const store: Pick<CheckStore, 'recordChecks' | 'recordRevisionReports'> = {
      recordChecks: async (records: CheckRecord[]) => void written.push(records),
    };
    const { logger, lines } = logged();
    await recordingRevisionReports(store, store, logger).recordChecks([record(1, { rev: 1 })]);
    expect(written).toHaveLength(1);
    expect(lines).toEqual([]);
  });
});
