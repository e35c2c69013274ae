// Trusted time. The local clock can be wound back by whoever runs the machine; signed tokens and
// statuses carry times the vendor vouches for. Rules are evaluated at the latest of the local
// clock, the trusted time (the latest status's, see verify-online.ts), and the highest local time
// already observed (reset by each signed status), so winding the clock back by more than the
// skew is reported. A subscription is not usable while the clock is wound back (see
// license-state.ts): time would stand still at the highest time seen, and the subscription with
// it. What no reading can tell is a clock that does not run: stopped, or set back again and again
// by less than the skew (nodes of one installation whose clocks differ by seconds look the same).
// Offline, time then stands still, and so does grace, until the next online check brings the
// vendor's time; that is the bound.
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
  state: Pick<StoredState, 'trustedTime' | 'observedTime'> & { clockOffset?: number },
): Clock {
  const reading = Math.floor(context.nowMs() / 1000);
  const highestSeen = Math.max(state.trustedTime, state.observedTime);
  const skew = context.clockSkewSeconds;
  // The machine's reading, corrected by the offset the vendor's service measured: a clock that
  // is simply wrong keeps working; one moved back after the measurement is still caught. A clock
  // that ran ahead and was set right since (as offsetText advises) reads right uncorrected: when
  // its own reading is not behind the highest time seen but the corrected one is, the offset is
  // not applied (safe: the highest time seen is the vendor's or later, so the reading is not
  // behind the vendor's time beyond the skew).
  const measured = state.clockOffset ?? 0;
  const setRight =
    measured !== 0 && reading + measured < highestSeen - skew && reading >= highestSeen - skew;
  const offset = setRight ? 0 : measured;
  const local = reading + offset;
  return {
    local,
    trusted: state.trustedTime,
    highestSeen,
    effective: Math.max(local, highestSeen),
    skew: context.clockSkewSeconds,
    rollbackDetected: local < highestSeen - context.clockSkewSeconds,
    offset,
    offsetText: describeOffset(offset),
  };
}

/**
 * How much later than a newer answer the last VALID status may be signed and still be kept (an
 * hour, or the skew if larger): nodes of the vendor's service whose clocks differ answer later
 * checks with earlier times. Later than that, it was signed ahead (a bad status key, a clock that
 * jumped) and the newer answer drops it.
 */
export function statusLagTolerance(context: Pick<Context, 'clockSkewSeconds'>): number {
  return Math.max(context.clockSkewSeconds, 3600);
}

/** A time in messages: ISO 8601 in UTC, to the second ("2025-03-01T12:00:00Z"). */
export function timeText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function span(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [
    days > 0 ? `${days} d` : '',
    hours > 0 ? `${hours} h` : '',
    minutes > 0 || (days === 0 && hours === 0) ? `${minutes} min` : '',
  ];
  return parts.filter((part) => part !== '').join(' ');
}

/** "this server's clock is 2 h 10 min behind the vendor's", or null when it is right. */
export function describeOffset(offset: number): string | null {
  if (offset === 0) return null;
  const way = offset > 0 ? 'behind' : 'ahead of';
  return `this server's clock is ${span(Math.abs(offset))} ${way} the vendor's; Licensor keeps time by the vendor's signed time, but set the clock right (NTP)`;
}
