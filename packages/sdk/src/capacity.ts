// "Number of credentials": the CMS asks before it manages another credential. No new credential
// without a usable license (active, or within grace) or beyond the number the license allows.
// A subscription on a machine whose clock was set back is blocked with ERR_CLOCK_ROLLBACK.
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

export function assertCapacity(info: LicenseInfo, inUse: number, adding: number): void {
  checkCount(adding, 'adding');
  const capacity = capacityOf(info, inUse);
  if (capacity.blockedBy !== null && capacity.blockedBy !== 'ERR_CAPACITY_REACHED') {
    throw sdkError(capacity.blockedBy, MESSAGES[capacity.blockedBy]);
  }
  if (adding > capacity.available) {
    throw new CapacityReachedError(
      `The license allows ${capacity.limit} credentials and ${inUse} are in use, so ${adding} more cannot be managed. Get a challenge and ask the vendor for more credentials.`,
    );
  }
}
