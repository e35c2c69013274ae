// Entitlements of the license in force (license format 2): the products it covers, its
// features and its named limits, each judged at the trusted time. A feature or a limit counts
// only while the license itself is usable and before its own end (`until`); a limit past its end
// is 0. Capacity per limit gives the same typed errors as the credential count.
import {
  coversProduct,
  ENTITLEMENT_NAME_PATTERN,
  type Keyring,
  type LicenseClaims,
  type Product,
  RESERVED_LIMIT_NAMES,
} from '@licensor/token';
import { capacityOf } from './capacity.js';
import {
  CapacityReachedError,
  InputInvalidError,
  LicenseKeyOtherProductError,
  LicenseOtherProductError,
  sdkError,
} from './errors.js';
import type { Capacity, FeatureInfo, LicenseInfo, LimitInfo } from './types.js';

/** Refuses a license that does not cover the product this installation runs. */
export function assertCoversProduct(claims: LicenseClaims, product: Product): void {
  if (coversProduct(claims.products, product)) return;
  const covered = (claims.products ?? [])
    .map((p) => (p.versions === undefined ? p.name : `${p.name} ${p.versions.join('/')}`))
    .join(', ');
  throw new LicenseOtherProductError(
    `This license key is for ${covered}, not for ${product.name} ${product.version} that this installation runs. Send this installation's challenge to the vendor for a license of this product.`,
  );
}

/**
 * Refuses a license signed by a license key of another product (#12.1): a product's own key
 * signs that product's licenses only. The vendor's own keys sign for every product.
 */
export function assertKeyOfProduct(keyring: Keyring, kid: string, product: Product): void {
  const owner = keyring.productOf(kid);
  if (owner === undefined || owner === product.name) return;
  throw new LicenseKeyOtherProductError(
    `This license key is signed by ${kid}, a signing key of the product ${owner}, which signs licenses of ${owner} only, not of ${product.name} that this installation runs. Nothing was changed: ask the vendor for a license of ${product.name}.`,
  );
}

/**
 * The features and limits of the license in force, judged at `now` (seconds). One with an end
 * of its own counts as ended while the local clock is behind the highest time seen
 * (`rolledBack`): `now` is then that time, which no longer moves, so a clock held back would keep
 * it for good, on a perpetual license too (a subscription is 'expired' then as a whole).
 */
export function entitlementsAt(
  claims: LicenseClaims | null,
  now: number,
  rolledBack = false,
): { features: FeatureInfo[]; limits: LimitInfo[] } {
  const running = (until: number | undefined) =>
    until === undefined || (!rolledBack && now < until);
  const features = (claims?.features ?? []).map((f) => ({
    name: f.name,
    until: f.until ?? null,
    active: running(f.until),
  }));
  const limits = (claims?.limits ?? []).map((l) => {
    const active = running(l.until);
    return { name: l.name, value: l.value, until: l.until ?? null, active };
  });
  return { features, limits };
}

function checkName(name: unknown, what: 'feature' | 'limit'): string {
  if (typeof name !== 'string' || !ENTITLEMENT_NAME_PATTERN.test(name)) {
    throw new InputInvalidError(
      `The ${what} name must be 1 to 64 characters: a lower-case letter, then lower-case letters, digits, "-", "_" or ".".`,
    );
  }
  if (what === 'limit' && RESERVED_LIMIT_NAMES.includes(name)) {
    throw new InputInvalidError(
      'The credential count is not a named limit: use capacity(inUse) for credentials.',
    );
  }
  return name;
}

const usable = (info: LicenseInfo) =>
  (info.state === 'active' || info.state === 'grace') && info.stateReason === null;

/** Whether the license in force grants `name` now (false when it is not usable). */
export function hasFeature(info: LicenseInfo, name: string): boolean {
  checkName(name, 'feature');
  return usable(info) && info.features.some((f) => f.name === name && f.active);
}

/** The value a named limit grants now: null when there is none, 0 past its own end. */
function grantedLimit(info: LicenseInfo, name: string): number | null {
  checkName(name, 'limit');
  const limit = info.limits.find((l) => l.name === name);
  if (limit === undefined) return null;
  return limit.active ? limit.value : 0;
}

/**
 * The value of a named limit now: null when the license has no such limit, 0 once it has
 * ended or while the license is not usable (as hasFeature), the value granted otherwise.
 */
export function limitOf(info: LicenseInfo, name: string): number | null {
  const granted = grantedLimit(info, name);
  if (granted === null) return null;
  return usable(info) ? granted : 0;
}

/**
 * Capacity of a named limit: the credential rules, with the limit's value as the cap (the grant
 * is shown as `limit` while the license is not usable, with none of it available, as for
 * credentials).
 */
export function limitCapacityOf(info: LicenseInfo, name: string, inUse: number): Capacity {
  const value = grantedLimit(info, name) ?? 0;
  return { ...capacityOf({ ...info, credentials: value }, inUse), name };
}

export function assertLimit(info: LicenseInfo, name: string, inUse: number, adding: number) {
  if (!Number.isSafeInteger(adding) || adding < 0) {
    throw new InputInvalidError('adding must be a whole number of at least 0.');
  }
  const capacity = limitCapacityOf(info, name, inUse);
  if (capacity.blockedBy !== null && capacity.blockedBy !== 'ERR_CAPACITY_REACHED') {
    // The license itself is not usable: the same error as for credentials.
    throw sdkError(capacity.blockedBy, BLOCKED_MESSAGE);
  }
  if (adding > capacity.available) {
    const granted = grantedLimit(info, name);
    throw new CapacityReachedError(
      granted === null
        ? `The license has no "${name}" limit, so no ${name} can be used. Get a challenge and ask the vendor for it.`
        : `The license allows ${capacity.limit} ${name} and ${inUse} are in use, so ${adding} more cannot be used. Get a challenge and ask the vendor for a higher "${name}" limit.`,
    );
  }
  return capacity;
}

const BLOCKED_MESSAGE =
  'The license is not usable now (see its state in View License), so no limit can be used.';
