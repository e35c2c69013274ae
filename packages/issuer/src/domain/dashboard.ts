// The vendor's dashboard: what needs a look today. Licenses near their credential cap (by their
// newest check), subscriptions whose installation stopped checking, subscriptions ending soon,
// and open forks (copies of an installation). Counts are of everything found; each list shows
// the first `limit`, the most urgent first.

import { InputInvalidError } from '../errors.js';
import type { License } from '../records.js';
import type { ForkRecord } from '../store/chain-port.js';
import type { LicenseLastCheck } from '../store/usage-watch-port.js';
import type { IssuerContext } from './context.js';
import { DASHBOARD_DEFAULTS, DASHBOARD_LIMITS } from './dashboard-limits.js';

const DAY_MS = 86_400_000;
/** At most this many expiring subscriptions and open forks are read (the count says "more"). */
const READ_CAP = 1_000;

export interface DashboardOptions {
  /** Near the cap: the newest check uses at least this percent of the credentials (default 90). */
  nearCapPercent?: number;
  /** Stopped: a subscription's newest check is older than this many days (default 3). */
  stoppedAfterDays?: number;
  /** How many days of checks are read (default 30, the default raw retention). */
  lookbackDays?: number;
  /** Expiring: a subscription's term ends within this many days (default 30). */
  expiringWithinDays?: number;
  /** Entries listed per section; the counts are of all (default 10). */
  limit?: number;
}

/** A license as a dashboard row shows it. */
export interface DashboardLicense {
  licenseId: string;
  customerName: string;
  model: License['model'];
  credentials: number;
  /** End of the subscription's term (seconds); null for a perpetual license. */
  termEnd: number | null;
  plan: string | null;
}

export interface NearCapEntry extends DashboardLicense {
  inUse: number;
  /** inUse as a percent of the credentials, rounded down. */
  percent: number;
  lastCheckAt: number;
}

export interface StoppedEntry extends DashboardLicense {
  lastCheckAt: number;
  /** Whole days since the newest check. */
  silentDays: number;
}

export interface ExpiringEntry extends DashboardLicense {
  termEnd: number;
  /** The newest check in the window, if any. */
  lastCheckAt: number | null;
  inUse: number | null;
}

export interface DashboardSection<T> {
  count: number;
  /** True when more were found than were read (count is then a lower bound). */
  more: boolean;
  items: T[];
}

export interface Dashboard {
  at: number;
  options: Required<DashboardOptions>;
  nearCap: DashboardSection<NearCapEntry>;
  stopped: DashboardSection<StoppedEntry>;
  expiring: DashboardSection<ExpiringEntry>;
  forks: DashboardSection<ForkRecord>;
}

function optionsOf(given: DashboardOptions): Required<DashboardOptions> {
  const options = { ...DASHBOARD_DEFAULTS };
  for (const [field, { min, max }] of Object.entries(DASHBOARD_LIMITS) as [
    keyof DashboardOptions,
    { min: number; max: number },
  ][]) {
    const value = given[field];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InputInvalidError(field, `must be a whole number from ${min} to ${max}`);
    }
    options[field] = value;
  }
  return options;
}

function rowOf(license: License): DashboardLicense {
  return {
    licenseId: license.id,
    customerName: license.customerName,
    model: license.model,
    credentials: license.credentials,
    termEnd: license.term?.end ?? null,
    plan: license.entitlements?.plan?.name ?? null,
  };
}

function section<T>(found: T[], limit: number, more = false): DashboardSection<T> {
  return { count: found.length, more, items: found.slice(0, limit) };
}

export async function dashboard(
  context: IssuerContext,
  given: DashboardOptions = {},
): Promise<Dashboard> {
  const options = optionsOf(given);
  const now = context.now();
  const nowSeconds = Math.floor(now / 1000);
  const [recent, expiringLicenses, openForks] = await Promise.all([
    context.store.lastChecks(now - options.lookbackDays * DAY_MS),
    context.store.listLicenses({
      state: 'active',
      model: 'subscription',
      termEndsAfter: nowSeconds,
      termEndsBefore: nowSeconds + options.expiringWithinDays * 86_400,
      limit: READ_CAP + 1,
    }),
    context.store.chains.listForks({ status: 'open', limit: READ_CAP + 1 }),
  ]);
  const active = recent.filter(({ license }) => license.state === 'active');

  const nearCap: NearCapEntry[] = active
    .filter(({ license, lastCheck }) => {
      return lastCheck.credentialsInUse * 100 >= license.credentials * options.nearCapPercent;
    })
    .map(({ license, lastCheck }) => ({
      ...rowOf(license),
      inUse: lastCheck.credentialsInUse,
      percent: Math.floor((lastCheck.credentialsInUse * 100) / Math.max(1, license.credentials)),
      lastCheckAt: lastCheck.at,
    }))
    .sort((a, b) => b.percent - a.percent || a.licenseId.localeCompare(b.licenseId));

  const stoppedBefore = now - options.stoppedAfterDays * DAY_MS;
  const stopped: StoppedEntry[] = active
    .filter(({ license }) => isRunningSubscription(license, nowSeconds))
    .filter(({ lastCheck }) => lastCheck.at < stoppedBefore)
    .map(({ license, lastCheck }) => ({
      ...rowOf(license),
      lastCheckAt: lastCheck.at,
      silentDays: Math.floor((now - lastCheck.at) / DAY_MS),
    }))
    .sort((a, b) => a.lastCheckAt - b.lastCheckAt || a.licenseId.localeCompare(b.licenseId));

  const lastOf = new Map<string, LicenseLastCheck['lastCheck']>(
    recent.map(({ license, lastCheck }) => [license.id, lastCheck]),
  );
  const expiring: ExpiringEntry[] = expiringLicenses
    .slice(0, READ_CAP)
    .map((license) => {
      const last = lastOf.get(license.id);
      return {
        ...rowOf(license),
        termEnd: license.term?.end ?? nowSeconds,
        lastCheckAt: last?.at ?? null,
        inUse: last?.credentialsInUse ?? null,
      };
    })
    .sort((a, b) => a.termEnd - b.termEnd || a.licenseId.localeCompare(b.licenseId));

  return {
    at: now,
    options,
    nearCap: section(nearCap, options.limit),
    stopped: section(stopped, options.limit),
    expiring: section(expiring, options.limit, expiringLicenses.length > READ_CAP),
    forks: section(openForks.slice(0, READ_CAP), options.limit, openForks.length > READ_CAP),
  };
}

/** An active subscription whose term has not ended: one that is expected to check in. */
function isRunningSubscription(license: License, nowSeconds: number): boolean {
  return (
    license.model === 'subscription' &&
    license.installationId !== null &&
    license.term !== null &&
    license.term.end > nowSeconds
  );
}
