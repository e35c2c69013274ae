// The dashboard's read of the check records: each license with its newest check in a window.
// One query per adapter (SQLite: one grouped scan of the window through `checks_by_time` joined
// to the licenses; MongoDB: one grouped aggregation, then the licenses by id), so the dashboard
// never reads the checks of one license at a time.

import type { CheckOutcome } from '@licensor/token';
import type { License } from '../records.js';

export interface LicenseLastCheck {
  license: License;
  /** The license's newest raw check at or after the window's start. */
  lastCheck: { at: number; credentialsInUse: number; outcome: CheckOutcome };
}

export interface UsageWatchStore {
  /**
   * Every license that has a raw check record at or after `since` (ms), with its newest one.
   * Raw records are kept for the retention window (LICENSOR_CHECK_RETENTION_DAYS, default 30):
   * a window reaching further back sees only what is still raw.
   */
  lastChecks(since: number): Promise<LicenseLastCheck[]>;
}
