// Which state the license in force is in, at the trusted time. A perpetual license needs no
// online check and never expires, but the vendor's signed REVOKED or SUSPENDED is honoured for it
// too. A subscription is usable until the end of its grace period, counted from the last
// moment the vendor vouched for it (the token's issue time or the last VALID status) and never
// past the term's end plus grace; a signed REVOKED, SUSPENDED or EXPIRED status decides at once.
// While the local clock is behind the highest time seen, rules run at that time, which no longer
// moves: a subscription would stay usable for as long as the clock is held back. So a wound-back
// clock makes a usable subscription 'expired' (reason clock-rollback) until the clock is right
// again (a signed status resets what the SDK has seen). A subscription whose term has not begun is
// 'none' (reason not-started) until its start. An expired subscription says why: its grace after
// the last successful check ran out (offline-grace), its term and grace ended (term-ended), or the
// vendor's service answered EXPIRED (vendor-expired).
import type { LicenseClaims, StatusClaims } from '@licensor/token';
import type { Clock } from './clock.js';
import type { Snapshot } from './snapshot.js';
import type { LicenseState, StateReason } from './types.js';

export interface Evaluation {
  state: LicenseState;
  /** Why the state is not what the dates alone say, or null. */
  reason: StateReason | null;
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
  if (license === null) return { state: 'none', reason: null, usableUntil: null, checkBy: null };
  if (license.model === 'perpetual' || license.term === null) {
    const status = speaksFor(snapshot.lastStatus, snapshot) ? snapshot.lastStatus : null;
    const outcome = status?.outcome;
    const state =
      outcome === 'REVOKED' || outcome === 'SUSPENDED' ? DECIDED_BY_SERVICE[outcome] : 'active';
    return { state, reason: null, usableUntil: null, checkBy: null };
  }
  const evaluation = evaluateSubscription(snapshot, license, license.term, clock);
  const usable = evaluation.state === 'active' || evaluation.state === 'grace';
  if (usable && clock.rollbackDetected) {
    return { ...evaluation, state: 'expired', reason: 'clock-rollback' };
  }
  return evaluation;
}

function evaluateSubscription(
  snapshot: Snapshot,
  license: LicenseClaims,
  term: NonNullable<LicenseClaims['term']>,
  clock: Clock,
): Evaluation {
  const lastStatus = speaksFor(snapshot.lastStatus, snapshot) ? snapshot.lastStatus : null;
  const lastValid = speaksFor(snapshot.lastValidStatus, snapshot) ? snapshot.lastValidStatus : null;
  // The last VALID status vouches as of its time, but never later than the latest answer's: one
  // signed ahead of a later answer (a node whose clock is ahead, a bad status key) counts from
  // that answer's time, and its check deadline moves back as much.
  const validAt =
    lastValid === null
      ? null
      : Math.min(lastValid.iat, snapshot.stored.statusTime || lastValid.iat);
  const vouchedAt = Math.max(license.iat, validAt ?? 0);
  const usableUntil = Math.min(vouchedAt + term.grace, term.end + term.grace);
  const checkBy =
    lastValid === null || validAt === null ? null : lastValid.checkBy - (lastValid.iat - validAt);
  const now = clock.effective;

  // Revoked, suspended or expired by the vendor's word: not usable, and no deadline to meet
  // (a later check that answers VALID, after a resume or a renewal, restores both).
  if (lastStatus !== null && lastStatus.outcome !== 'VALID' && lastStatus.outcome !== 'UNKNOWN') {
    return {
      state: DECIDED_BY_SERVICE[lastStatus.outcome],
      reason: lastStatus.outcome === 'EXPIRED' ? 'vendor-expired' : null,
      usableUntil: null,
      checkBy: null,
    };
  }
  // A term that has not begun (beyond the tolerated skew) grants nothing yet.
  if (now + clock.skew < term.start) {
    return { state: 'none', reason: 'not-started', usableUntil, checkBy };
  }
  if (now > usableUntil) {
    // Which end came first: the term's (renew), or the grace after the last vouching (check).
    const reason = term.end <= vouchedAt ? 'term-ended' : 'offline-grace';
    return { state: 'expired', reason, usableUntil, checkBy };
  }
  // A failed attempt counts only if it came after the token in force was applied (local times
  // on both sides): a freshly applied token is the vendor vouching for the license again.
  const attempt = snapshot.stored.lastAttempt;
  const appliedAt = snapshot.stored.license?.appliedAt ?? 0;
  const lastCheckFailed =
    (attempt !== null && !attempt.ok && attempt.at >= appliedAt) ||
    lastStatus?.outcome === 'UNKNOWN';
  const overdue = checkBy !== null && now > checkBy;
  if (now > term.end || lastCheckFailed || overdue) {
    return { state: 'grace', reason: null, usableUntil, checkBy };
  }
  return { state: 'active', reason: null, usableUntil, checkBy };
}
