// Entry point `@licensor/issuer/terms`: the limits of a license's terms and of the dashboard's
// thresholds, and their defaults, without any other code of the issuer (the portal's web forms
// import it in the browser).

export {
  DASHBOARD_DEFAULTS,
  DASHBOARD_LIMITS,
  type DashboardThreshold,
} from './domain/dashboard-limits.js';
export {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  TERMS_LIMITS,
  type TermsLimits,
} from './domain/terms-limits.js';
