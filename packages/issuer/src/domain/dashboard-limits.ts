// The dashboard's thresholds: their defaults and the range each may take, in one place for the
// issuer (which checks them), the portal's API schema and its web form (no other code: the web
// bundle imports this through `@licensor/issuer/terms`).

/** A threshold of the dashboard. */
export type DashboardThreshold =
  | 'nearCapPercent'
  | 'stoppedAfterDays'
  | 'lookbackDays'
  | 'expiringWithinDays'
  | 'limit';

export const DASHBOARD_DEFAULTS: Readonly<Record<DashboardThreshold, number>> = {
  nearCapPercent: 90,
  stoppedAfterDays: 3,
  lookbackDays: 30,
  expiringWithinDays: 30,
  limit: 10,
};

export const DASHBOARD_LIMITS: Readonly<
  Record<DashboardThreshold, { readonly min: number; readonly max: number }>
> = {
  nearCapPercent: { min: 1, max: 1000 },
  stoppedAfterDays: { min: 1, max: 365 },
  lookbackDays: { min: 1, max: 3650 },
  expiringWithinDays: { min: 1, max: 3650 },
  limit: { min: 1, max: 100 },
};
