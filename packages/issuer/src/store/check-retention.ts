// The retention job: every `intervalMs` (default an hour) it rolls up the check records older
// than the window, in small batches with a pause between them so that checks and pages are
// served meanwhile. The portal runs it (`LICENSOR_CHECK_RETENTION_DAYS`, default 30); several
// portals on one MongoDB store may all run it (see mongo-checks.ts: roll-ups are written once).

import { startPeriodicJob } from '../periodic-job.js';
import type { CheckRetention, RollUpResult } from './ports.js';

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

export interface RetentionJobOptions {
  store: CheckRetention;
  /** Days of raw check records kept (whole UTC days before the window are rolled up). */
  keepDays: number;
  intervalMs?: number;
  batchSize?: number;
  pauseMs?: number;
  now?: () => number;
  /** Told of each run's result or failure (a failed run is retried at the next interval). */
  onRun?: (result: RollUpResult | Error) => void;
}

export interface RetentionJob {
  /** Runs once now (the timer keeps going); resolves when the run ends. */
  runOnce(): Promise<RollUpResult>;
  stop(): Promise<void>;
}

export function startCheckRetention(options: RetentionJobOptions): RetentionJob {
  if (!Number.isInteger(options.keepDays) || options.keepDays < 1) {
    throw new RangeError(`keepDays must be a whole number of days >= 1, not ${options.keepDays}`);
  }
  const now = options.now ?? Date.now;
  return startPeriodicJob(
    () =>
      options.store.rollUpChecks({
        now: now(),
        keepMs: options.keepDays * DAY_MS,
        batchSize: options.batchSize ?? 2_000,
        pauseMs: options.pauseMs ?? 20,
      }),
    options.intervalMs ?? 3_600_000,
    options.onRun,
  );
}
