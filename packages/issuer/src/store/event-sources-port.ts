// What the issuer side reads to turn facts into webhook events that no issuer write causes:
// refused checks the verify service recorded (check.failed), the check records themselves
// (usage.near-cap, check.stopped). Both adapters implement it in their own files
// (`sqlite/event-sources.ts`, `mongo/event-sources.ts`); `LicensorStore.eventSources` exposes it.
//
// The verify service holds only `recordCheckFailures` (on the check role, see ports.ts): each
// fact is an insert by a fixed id, so any number of service instances record one fact once and
// no document is ever updated by two writers (FerretDB loses concurrent updates to one document).

import type { CheckRecord } from '../records.js';

/** A check the verify service refused, for a license that exists (check.failed). */
export interface CheckFailure {
  /** `chf_…`, fixed by license, reason and hour: one fact per license and reason per hour. */
  id: string;
  /** The first refusal of that hour (ms). */
  at: number;
  licenseId: string;
  /** The installation id the check named (its `kid`). */
  installationId: string;
  /** An error code (`ERR_SIGNATURE_INVALID`, `ERR_CHECK_REPLAYED`, …) or `UNKNOWN_INSTALLATION`. */
  reason: string;
}

/** Where a page of quiet installations ended: the next page starts after it. */
export type QuietInstallationKey = Pick<
  QuietInstallation,
  'lastAt' | 'licenseId' | 'installationId'
>;

/** A license's installation that checked and then went quiet (check.stopped). */
export interface QuietInstallation {
  licenseId: string;
  installationId: string;
  /** Its last check (ms). */
  lastAt: number;
  /** Its checks in the window searched. */
  checks: number;
}

export interface EventSourceStore {
  /** Failures not yet turned into events, oldest first. */
  listUnconvertedCheckFailures(limit: number): Promise<CheckFailure[]>;
  markCheckFailuresConverted(ids: string[]): Promise<void>;
  /**
   * Raw check records with `after < (at, id)` and `at < before`, in (at, id) order: a reader
   * pages through the checks as they arrive.
   */
  listChecksAfter(
    after: { at: number; id: string } | null,
    before: number,
    limit: number,
  ): Promise<CheckRecord[]>;
  /** The license's raw check just before `(at, id)`, or null. */
  previousCheck(licenseId: string, before: { at: number; id: string }): Promise<CheckRecord | null>;
  /**
   * Each (license, installation) with at least `minChecks` raw checks at or after `from` and
   * none at or after `quietSince`: installations that checked and stopped. In (lastAt,
   * licenseId, installationId) order, after `after` (keyset paging: a reader pages through them
   * all, however many there are).
   */
  listQuietInstallations(
    from: number,
    quietSince: number,
    minChecks: number,
    limit: number,
    after?: QuietInstallationKey | null,
  ): Promise<QuietInstallation[]>;
}
