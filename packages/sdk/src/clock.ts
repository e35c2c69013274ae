// Trusted time. The local clock can be wound back by whoever runs the machine; signed tokens and
// statuses carry times the vendor vouches for. The SDK never lets time run backwards below the
// highest trusted time it has seen, so rolling the clock back cannot stretch a grace period.
import type { Context } from './context.js';
import type { ClockReport } from './types.js';

export interface Clock extends ClockReport {
  /** The time rules are evaluated at: max(local clock, trusted time). */
  effective: number;
}

export function readClock(context: Context, trustedTime: number): Clock {
  const local = Math.floor(context.nowMs() / 1000);
  return {
    local,
    trusted: trustedTime,
    effective: Math.max(local, trustedTime),
    rollbackDetected: local < trustedTime - context.clockSkewSeconds,
  };
}
