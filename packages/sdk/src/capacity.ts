// "Number of credentials": the CMS asks before it manages another credential. No new credential
// without a usable license (active, or within grace) or beyond the number the license allows.
// A subscription on a machine whose clock was set back is blocked with ERR_CLOCK_ROLLBACK.
import { timeText } from './clock.js';
import { CapacityReachedError, InputInvalidError, sdkError } from './errors.js';
import type { Capacity, LicenseInfo } from './types.js';

function checkCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputInvalidError(`${name} must be a whole number of at least 0.`);
  }
}

const BLOCKED_BY_REASON = {
  'clock-rollback': 'ERR_CLOCK_ROLLBACK',
  'not-started': 'ERR_LICENSE_NOT_STARTED',
  'offline-grace': 'ERR_LICENSE_EXPIRED',
  'term-ended': 'ERR_LICENSE_EXPIRED',
  'vendor-expired': 'ERR_LICENSE_EXPIRED',
} as const;

export function capacityOf(info: LicenseInfo, inUse: number): Capacity {
  checkCount(inUse, 'inUse');
  const limit = info.credentials ?? 0;
  const blockedByState = {
    none: 'ERR_NO_LICENSE',
    expired: 'ERR_LICENSE_EXPIRED',
    revoked: 'ERR_LICENSE_REVOKED',
    suspended: 'ERR_LICENSE_SUSPENDED',
    active: null,
    grace: null,
  } as const;
  const stateBlock =
    info.stateReason === null ? blockedByState[info.state] : BLOCKED_BY_REASON[info.stateReason];
  const available = stateBlock === null ? Math.max(0, limit - inUse) : 0;
  const blockedBy = stateBlock ?? (available === 0 ? 'ERR_CAPACITY_REACHED' : null);
  return { state: info.state, limit, inUse, available, blockedBy };
}

const MESSAGES = {
  ERR_NO_LICENSE: 'There is no license. Apply a license key before managing credentials.',
  ERR_LICENSE_EXPIRED: 'The license has expired. Verify it online or apply a renewed license key.',
  ERR_LICENSE_REVOKED: 'The license was revoked by the vendor. Contact the vendor.',
  ERR_LICENSE_SUSPENDED: 'The license is suspended by the vendor. Contact the vendor.',
  ERR_CLOCK_ROLLBACK:
    "This machine's clock is behind the latest time the license has seen, so the subscription cannot be trusted to be current. Set the system clock right, then run Verify License.",
  ERR_LICENSE_NOT_STARTED:
    'The subscription term has not begun (see term.start in View License). Credentials can be managed from its start.',
  ERR_CAPACITY_REACHED: '',
} as const;

function date(seconds: number | null): string {
  return seconds === null ? 'an unknown time' : timeText(seconds);
}

const RENEW =
  'Ask the vendor to renew it, then run Verify License to receive the renewed license (or apply the renewed license key).';

/** Why the license expired, when, and what to do: each reason has its own remedy. */
function expiredMessage(info: LicenseInfo): string {
  const term = info.term;
  switch (info.stateReason) {
    case 'offline-grace':
      return `The subscription expired at ${date(info.usableUntil)}: no online check succeeded within its grace period after the vendor last confirmed it${term === null || info.usableUntil === null ? '' : ` (${date(info.usableUntil - term.grace)})`}. Run Verify License so the vendor's service confirms it; if the service cannot be reached, check the network and the verify URL.`;
    case 'term-ended':
      return `The subscription term ended at ${date(term?.end ?? null)} and its grace period at ${date(info.usableUntil)}. ${RENEW}`;
    case 'vendor-expired':
      return `The vendor's service answered EXPIRED at ${date(info.lastVerifyTime)}${term === null ? '' : ` (the subscription term ended at ${date(term.end)})`}. ${RENEW}`;
    default:
      return MESSAGES.ERR_LICENSE_EXPIRED;
  }
}

export function assertCapacity(info: LicenseInfo, inUse: number, adding: number): void {
  checkCount(adding, 'adding');
  const capacity = capacityOf(info, inUse);
  if (capacity.blockedBy !== null && capacity.blockedBy !== 'ERR_CAPACITY_REACHED') {
    const message =
      capacity.blockedBy === 'ERR_LICENSE_EXPIRED'
        ? expiredMessage(info)
        : MESSAGES[capacity.blockedBy];
    throw sdkError(capacity.blockedBy, message);
  }
  if (adding > capacity.available) {
    throw new CapacityReachedError(
      `The license allows ${capacity.limit} credentials and ${inUse} are in use, so ${adding} more cannot be managed. Get a challenge and ask the vendor for more credentials.`,
    );
  }
}
