// Which state the license in force is in, at the trusted time. A perpetual license is always
// valid. A subscription is usable until the end of its grace period, counted from the last
// moment the vendor vouched for it (the token's issue time or the last VALID status) and never
// past the term's end plus grace; a signed REVOKED, SUSPENDED or EXPIRED status decides at once.
import type { StatusClaims } from '@licensor/token';
import type { Clock } from './clock.js';
import type { Snapshot } from './snapshot.js';
import type { LicenseState } from './types.js';

export interface Evaluation {
  state: LicenseState;
  usableUntil: number | null;
  checkBy: number | null;
}

/** A status speaks for the token in force only if it is about that license at its revision or later. */
function speaksFor(status: StatusClaims | null, snapshot: Snapshot): status is StatusClaims {
  const license = snapshot.license;
  return (
    status !== null &&
    license !== null &&
    status.lid === license.lid &&
    (status.rev === null || status.rev >= license.rev)
  );
}

const DECIDED_BY_SERVICE = {
  REVOKED: 'revoked',
  SUSPENDED: 'suspended',
  EXPIRED: 'expired',
} as const;

export function evaluateLicense(snapshot: Snapshot, clock: Clock): Evaluation {
  const license = snapshot.license;
  if (license === null) return { state: 'none', usableUntil: null, checkBy: null };
  if (license.model === 'perpetual' || license.term === null) {
    return { state: 'active', usableUntil: null, checkBy: null };
  }
  const { term } = license;
  const lastStatus = speaksFor(snapshot.lastStatus, snapshot) ? snapshot.lastStatus : null;
  const lastValid = speaksFor(snapshot.lastValidStatus, snapshot) ? snapshot.lastValidStatus : null;
  const vouchedAt = Math.max(license.iat, lastValid?.iat ?? 0);
  const usableUntil = Math.min(vouchedAt + term.grace, term.end + term.grace);
  const checkBy = lastValid?.checkBy ?? null;
  const now = clock.effective;

  if (lastStatus !== null && lastStatus.outcome !== 'VALID' && lastStatus.outcome !== 'UNKNOWN') {
    return { state: DECIDED_BY_SERVICE[lastStatus.outcome], usableUntil, checkBy };
  }
  if (now > usableUntil) return { state: 'expired', usableUntil, checkBy };
  // A failed attempt counts only if it came after the token in force was applied (local times
  // on both sides): a freshly applied token is the vendor vouching for the license again.
  const attempt = snapshot.stored.lastAttempt;
  const appliedAt = snapshot.stored.license?.appliedAt ?? 0;
  const lastCheckFailed =
    (attempt !== null && !attempt.ok && attempt.at >= appliedAt) ||
    lastStatus?.outcome === 'UNKNOWN';
  const overdue = checkBy !== null && now > checkBy;
  if (now > term.end || lastCheckFailed || overdue) return { state: 'grace', usableUntil, checkBy };
  return { state: 'active', usableUntil, checkBy };
}
