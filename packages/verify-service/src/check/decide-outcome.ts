// The verification outcome for a check by the bound installation, from the license's record.
// Order matters: a revoked license stays revoked whatever its term; a suspension outranks an
// expiry. A subscription is EXPIRED from its term end on: the offline grace period is the SDK's
// allowance for failed checks, not an extension the service grants.
import type { CheckOutcome } from '@licensor/token';
import type { CheckView } from '../store-port.js';

export function decideOutcome(view: CheckView, nowSeconds: number): CheckOutcome {
  if (view.state === 'revoked') return 'REVOKED';
  if (view.state === 'suspended') return 'SUSPENDED';
  if (view.model === 'subscription' && view.term !== null && nowSeconds >= view.term.end) {
    return 'EXPIRED';
  }
  return 'VALID';
}

/** When the SDK should check again: after the interval, but no later than the term end. */
export function decideCheckBy(
  termEnd: number | null,
  nowSeconds: number,
  intervalSeconds: number,
): number {
  const next = nowSeconds + intervalSeconds;
  return termEnd !== null && termEnd > nowSeconds && termEnd < next ? termEnd : next;
}

/**
 * The newer license token to hand over, if any: only to the bound installation, only when it is
 * newer than the one in force, and never for a revoked license.
 */
export function tokenToRelay(view: CheckView, outcome: CheckOutcome, checkRevision: number) {
  if (outcome === 'REVOKED' || outcome === 'UNKNOWN') return null;
  return view.latestToken !== null && view.revision > checkRevision ? view.latestToken : null;
}
