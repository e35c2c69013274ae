// What installations report with their checks, kept apart from the check records (which are
// rolled up and dropped after a window): written after each batch of check records. A check
// record's write comes first and is what the recorder retries; a report that cannot be written
// (a database role made before such reports existed, a store without them) is dropped, never
// retried, and never holds up a check record (the installation reports again with its next
// check), and logged at most once a minute with how many were dropped since the last line.
import type { Logger } from 'pino';
import type { CheckRecord, CheckStore } from '../store-port.js';

/** A failing write is logged at most this often (a role without the privilege fails every batch). */
const LOG_EVERY_MS = 60_000;

export interface CheckReports<R> {
  /** The store's write of the reports; undefined: the store has none, nothing is written. */
  write: ((reports: R[]) => Promise<unknown>) | undefined;
  /** The report a check record carries, or null. */
  of: (record: CheckRecord) => R | null;
  /** The log line's event and message when a write fails. */
  event: string;
  message: string;
}

export function recordingReports<R>(
  inner: Pick<CheckStore, 'recordChecks'>,
  reports: CheckReports<R>,
  logger: Logger,
  now: () => number = Date.now,
): Pick<CheckStore, 'recordChecks'> {
  const { write } = reports;
  let unrecorded = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  return {
    async recordChecks(records: CheckRecord[]): Promise<void> {
      await inner.recordChecks(records);
      if (write === undefined) return;
      const batch = records.flatMap((record) => {
        const report = reports.of(record);
        return report === null ? [] : [report];
      });
      if (batch.length === 0) return;
      try {
        await write(batch);
      } catch (error) {
        unrecorded += batch.length;
        if (now() - loggedAt < LOG_EVERY_MS) return;
        loggedAt = now();
        logger.warn({ event: reports.event, err: error, count: unrecorded }, reports.message);
        unrecorded = 0;
      }
    },
  };
}
