// Trusted time. The local clock can be wound back by whoever runs the machine; signed tokens and
// statuses carry times the vendor vouches for. Rules are evaluated at the latest of the local
// clock, the highest trusted time, and the highest local time already observed (reset by each
// signed status), so winding the clock back is reported and cannot stretch a grace period. A
// subscription is not usable while the clock is wound back (see license-state.ts): time would
// stand still at the highest time seen, and the subscription with it.
import type { Context } from './context.js';
import type { StoredState } from './store/store.js';
import type { ClockReport } from './types.js';

export interface Clock extends ClockReport {
  /** The time rules are evaluated at. */
  effective: number;
  /** Tolerated clock difference (seconds). */
  skew: number;
}

export function readClock(
  context: Context,
  state: Pick<StoredState, 'trustedTime' | 'observedTime'>,
): Clock {
  const local = Math.floor(context.nowMs() / 1000);
  const highestSeen = Math.max(state.trustedTime, state.observedTime);
  return {
    local,
    trusted: state.trustedTime,
    highestSeen,
    effective: Math.max(local, highestSeen),
    skew: context.clockSkewSeconds,
    rollbackDetected: local < highestSeen - context.clockSkewSeconds,
  };
}
