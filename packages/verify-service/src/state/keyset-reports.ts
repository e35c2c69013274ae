// The key set version each installation reports with its version 2 checks (`keyset`), written
// with the check records' batch: the vendor's Signing keys page counts the installations that
// trust each version (who has picked up the new keys). A check record's write comes first and
// is what the recorder retries; a report that cannot be written (a database role made before
// reports existed, a store without them) is logged and dropped, never retried, and never holds
// up a check record: the installation reports again with its next check.
import type { Logger } from 'pino';
import type { CheckRecord, CheckStore } from '../store-port.js';

export function recordingKeysetReports(
  store: Pick<CheckStore, 'recordChecks' | 'recordKeysetReports'>,
  logger: Logger,
): Pick<CheckStore, 'recordChecks'> {
  const report = store.recordKeysetReports?.bind(store);
  return {
    async recordChecks(records: CheckRecord[]): Promise<void> {
      await store.recordChecks(records);
      if (report === undefined) return;
      const reports = records.flatMap((record) =>
        record.keyset === undefined
          ? []
          : [
              {
                installationId: record.installationId,
                keyset: record.keyset,
                at: record.at,
                source: 'check' as const,
              },
            ],
      );
      if (reports.length === 0) return;
      try {
        await report(reports);
      } catch (error) {
        logger.warn(
          { event: 'keyset_report_unrecorded', err: error, count: reports.length },
          'the key set versions installations reported could not be written; they report again at their next check',
        );
      }
    },
  };
}
