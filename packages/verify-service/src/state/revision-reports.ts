// The license revision each installation reports holding (every check's `rev`), written after
// the batch of check records (and the key set reports): the store keeps the highest per license
// and installation, never lowered, and `keys revoke` reads it to tell an installation that was
// handed a re-signed token from one that applied it. Dropped and logged when it cannot be
// written (check-reports.ts): the revoke then counts the installation as not moved on.
import type { RevisionReport } from '@licensor/issuer/checks';
import type { Logger } from 'pino';
import type { CheckStore } from '../store-port.js';
import { recordingReports } from './check-reports.js';

export function recordingRevisionReports(
  inner: Pick<CheckStore, 'recordChecks'>,
  store: Pick<CheckStore, 'recordRevisionReports'>,
  logger: Logger,
  now: () => number = Date.now,
): Pick<CheckStore, 'recordChecks'> {
  return recordingReports<RevisionReport>(
    inner,
    {
      write:
        store.recordRevisionReports === undefined
          ? undefined
          : (reports) => store.recordRevisionReports!(highestPerInstallation(reports)),
      of: (record) =>
        record.rev === undefined
          ? null
          : {
              licenseId: record.licenseId,
              installationId: record.installationId,
              revision: record.rev,
              at: record.at,
            },
      event: 'revision_report_unrecorded',
      message:
        'the license revisions installations reported holding could not be written (count: since the last such line); they report again at their next check',
    },
    logger,
    now,
  );
}

/**
 * One report per license and installation of a batch: the highest revision, first reported at
 * the earliest check that reported it (what the store keeps anyway). An installation checking
 * many times in one batch (a burst, a bench) costs one write, not one per check.
 */
export function highestPerInstallation(reports: readonly RevisionReport[]): RevisionReport[] {
  const kept = new Map<string, RevisionReport>();
  for (const report of reports) {
    const key = `${report.licenseId} ${report.installationId}`;
    const held = kept.get(key);
    if (
      held === undefined ||
      report.revision > held.revision ||
      (report.revision === held.revision && report.at < held.at)
    ) {
      kept.set(key, report);
    }
  }
  return [...kept.values()];
}
