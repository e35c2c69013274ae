// The key set version each installation reports with its version 2 checks (`keyset`), written
// with the check records' batch: the vendor's Signing keys page counts the installations that
// trust each version (who has picked up the new keys). Written after the batch, dropped and
// logged when it cannot be (check-reports.ts).
import type { Logger } from 'pino';
import type { CheckStore } from '../store-port.js';
import { recordingReports } from './check-reports.js';

export function recordingKeysetReports(
  store: Pick<CheckStore, 'recordChecks' | 'recordKeysetReports'>,
  logger: Logger,
  now: () => number = Date.now,
): Pick<CheckStore, 'recordChecks'> {
  return recordingReports(
    store,
    {
      write: store.recordKeysetReports?.bind(store),
      of: (record) =>
        record.keyset === undefined
          ? null
          : {
              installationId: record.installationId,
              keyset: record.keyset,
              at: record.at,
              source: 'check' as const,
            },
      event: 'keyset_report_unrecorded',
      message:
        'the key set versions installations reported could not be written (count: since the last such line); they report again at their next check',
    },
    logger,
    now,
  );
}
