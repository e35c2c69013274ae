// What the Signing keys page counts (#11): the license tokens each key signed (every transaction
// that signs a token records the signing `kid`, indexed on both adapters), and which signed key
// set version each installation trusts, as it last reported it (a version 2 check's or
// challenge's `keyset`). Both adapters implement it in their own files (`sqlite/key-usage.ts`,
// `mongo/key-usage.ts`); `LicensorStore.keyUsage` exposes it. Beside them, the highest license
// revision each installation reported holding (every check's `rev`), which `keys revoke` reads
// to tell whether an installation still holds a token the revoked key signed. The verify service
// holds only `recordKeysetReports` and `recordRevisionReports` (on the check role, see ports.ts).

/** What one installation said about the key set it trusts. */
export interface KeysetReport {
  installationId: string;
  /** The key set version it trusts (0: only the keys it shipped with). */
  keyset: number;
  /** When it said so (ms): the service's time of the check, or the challenge's time. */
  at: number;
  source: 'check' | 'challenge';
}

/** What one installation said about the license key in force there (a check's `rev`). */
export interface RevisionReport {
  licenseId: string;
  installationId: string;
  /** The revision of the license's token the installation holds in force. */
  revision: number;
  /** When it said so (ms): the service's time of the check. */
  at: number;
}

/** The license tokens one key signed. */
export interface KeySignedCount {
  kid: string;
  /** Transactions whose token it signed (issue, renew, re-issue, approvals, re-signing). */
  tokens: number;
  /** Distinct licenses among them. */
  licenses: number;
}

/** How many installations last reported trusting each key set version. */
export interface KeysetTrustCount {
  keyset: number;
  installations: number;
}

export interface KeyUsageStore {
  /**
   * Records what installations reported, newest report per installation. A report older than
   * the one on record, or naming a version this store never published (above the newest; 0 is
   * the shipped keys and always exists), is not recorded. Returns how many were recorded.
   */
  recordKeysetReports(reports: readonly KeysetReport[]): Promise<number>;
  /** The report on record for an installation, or null when it never reported one. */
  getKeysetReport(installationId: string): Promise<KeysetReport | null>;
  /**
   * Records the license revision installations reported holding, the highest per license and
   * installation: a report of a revision no higher than the one on record (a replayed or older
   * check, an installation restored from a backup) writes nothing, so it never goes down; the
   * time kept is that of the first report of the highest revision. Returns how many were recorded.
   */
  recordRevisionReports(reports: readonly RevisionReport[]): Promise<number>;
  /** The highest revision on record for a license at an installation, or null when none. */
  getHeldRevision(licenseId: string, installationId: string): Promise<RevisionReport | null>;
  /**
   * Since when (ms) this store records revision reports (the upgrade that added them, or the
   * store's creation): a check recorded before then reported nothing. Null when unknown.
   */
  revisionReportsSince(): Promise<number | null>;
  /** Installations per key set version they last reported, by version. */
  countInstallationsByKeyset(): Promise<KeysetTrustCount[]>;
  /** Tokens and licenses signed by each of `kids` (a kid that signed nothing counts 0). */
  countSignedByKeys(kids: readonly string[]): Promise<KeySignedCount[]>;
}

/** The newest report of each installation in a batch (a batch may hold several checks of one). */
export function newestReports(reports: readonly KeysetReport[]): KeysetReport[] {
  const newest = new Map<string, KeysetReport>();
  for (const report of reports) {
    const held = newest.get(report.installationId);
    if (held === undefined || held.at <= report.at) newest.set(report.installationId, report);
  }
  return [...newest.values()];
}

/**
 * The highest revision of each license at each installation in a batch (a batch may hold several
 * checks of one), at its first report.
 */
export function highestRevisions(reports: readonly RevisionReport[]): RevisionReport[] {
  const highest = new Map<string, RevisionReport>();
  for (const report of reports) {
    const key = heldRevisionKey(report.licenseId, report.installationId);
    const held = highest.get(key);
    if (
      held === undefined ||
      held.revision < report.revision ||
      (held.revision === report.revision && held.at > report.at)
    ) {
      highest.set(key, report);
    }
  }
  return [...highest.values()];
}

/**
 * One key for a license at an installation: unambiguous, as an installation id (a key
 * thumbprint, base64url) holds no space.
 */
export function heldRevisionKey(licenseId: string, installationId: string): string {
  return `${licenseId} ${installationId}`;
}
