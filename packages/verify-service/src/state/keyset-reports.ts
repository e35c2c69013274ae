// The key set version each installation reports with its version 2 checks (`keyset`), written
// with the check records' batch: the vendor's Signing keys page counts the installations that
// trust each version (who has picked up the new keys). A check record's write comes first and
// is what the recorder retries; a report that cannot be written (a database role made before
// reports existed, a store without them) is dropped, never retried, and never holds up a check
// record (the installation reports again with its next check), and logged at most once a
// minute with how many were dropped since the last line.
import type { Logger } from 'pino';
import type { CheckRecord, CheckStore } from '../store-port.js';

/** A failing write is logged at most this often (a role without the privilege fails every batch). */
const LOG_EVERY_MS = 60_000;

export function recordingKeysetReports(
  store: Pick<CheckStore, 'recordChecks' | 'recordKeysetReports'>,
  logger: Logger,
  now: () => number = Date.now,
): Pick<CheckStore, 'recordChecks'> {
  const report = store.recordKeysetReports?.bind(store);
  let unrecorded = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
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
        unrecorded += reports.length;
        if (now() - loggedAt < LOG_EVERY_MS) return;
        loggedAt = now();
        logger.warn(
          { event: 'keyset_report_unrecorded', err: error, count: unrecorded },
          'the key set versions installations reported could not be written (count: since the last such line); they report again at their next check',
        );
        unrecorded = 0;
      }
    },
  };
}
