// Trusted time. The local clock can be wound back by whoever runs the machine; signed tokens and
// statuses carry times the vendor vouches for. Rules are evaluated at the latest of the local
// clock, the trusted time (the latest status's, see verify-online.ts), and the observed time:
// the time the local clock has run since the last signed status, which only its forward steps
// advance (the reading each step is counted from is kept in the state, `clockReading`). Setting
// the clock back by less than the skew is tolerated but does not undo the time that ran, so small
// set-backs repeated cannot hold time still; one beyond the skew is reported. A subscription is not
// usable while the clock is wound back (see license-state.ts): time would stand still at the
// highest time seen, and the subscription with it. What no reading can tell is a clock that does
// not run at all (stopped, or set back between readings by exactly the time that ran): offline,
// time then stands still, and so does grace, until the next online check brings the vendor's time.
import type { Context } from './context.js';
import type { StoredState } from './store/store.js';
import type { ClockReport } from './types.js';

export interface Clock extends ClockReport {
  /** The time rules are evaluated at. */
  effective: number;
  /** Tolerated clock difference (seconds). */
  skew: number;
  /** The observed time, advanced by the local clock's forward steps since the reading saved. */
  observed: number;
  /** The machine's own reading (seconds, uncorrected by the offset). */
  reading: number;
  /** The reading the next forward step is to be counted from (`clockReading` to save). */
  base: number;
  /** The clock was set back within the skew since the last reading saved or seen: to save. */
  setBack: boolean;
}

/**
 * A reading a Licensor object saw but did not save (reads save at most once a minute), with the
 * saved reading and observed time it ran on from: it counts only while those are still the
 * state's, so a set-back right after it does not undo the time it saw.
 */
export interface ClockSeen {
  reading: number;
  fromReading: number;
  fromObserved: number;
}

type ClockState = Pick<StoredState, 'trustedTime' | 'observedTime'> & {
  clockOffset?: number;
  clockReading?: number | undefined;
};

export function readClock(context: Context, state: ClockState): Clock {
  const reading = Math.floor(context.nowMs() / 1000);
  const skew = context.clockSkewSeconds;
  let from = state.clockReading ?? null;
  let observed = state.observedTime;
  // A reading this object saw run on from the saved one, not saved yet: that time ran.
  const seen = context.clockSeen;
  if (
    from !== null &&
    seen !== null &&
    seen.fromReading === from &&
    seen.fromObserved === observed &&
    seen.reading > from
  ) {
    observed += seen.reading - from;
    from = seen.reading;
  }
  // Each forward step of the machine's clock is time that ran. A step back within the skew does
  // not undo it: the next step forward is counted from the lower reading, so setting the clock
  // back a little, again and again, cannot hold time still. A step back beyond the skew is a
  // clock set back (reported below, as rollbackDetected): nothing is counted until the clock is
  // back at the reading before it, so setting it right counts no time that did not run.
  const forward = from === null || reading > from;
  if (from !== null && forward) observed += reading - from;
  const base = from === null || forward || reading >= from - skew ? reading : from;
  // The machine's reading, corrected by the offset the vendor's service measured: a clock that
  // is simply wrong keeps working; one moved back after the measurement is still caught. A clock
  // that ran ahead and was set right since (as offsetText advises) reads right uncorrected: when
  // its own reading is not behind the highest time seen but the corrected one is, it is read
  // without the offset (safe: the highest time seen is the vendor's or later, so the reading is
  // not behind the vendor's time beyond the skew).
  const highest = Math.max(state.trustedTime, observed);
  const measured = state.clockOffset ?? 0;
  const setRight =
    measured !== 0 && reading + measured < highest - skew && reading >= highest - skew;
  const offset = setRight ? 0 : measured;
  const local = reading + offset;
  // A forward step (or a state of an SDK before `clockReading`) brings the observed time up to
  // the local clock: never down.
  if (forward) observed = Math.max(observed, local);
  const highestSeen = Math.max(state.trustedTime, observed);
  return {
    local,
    trusted: state.trustedTime,
    highestSeen,
    effective: Math.max(local, highestSeen),
    skew,
    rollbackDetected: local < highestSeen - skew,
    offset,
    offsetText: describeOffset(offset),
    observed,
    reading,
    base,
    setBack: from !== null && base < from,
  };
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
