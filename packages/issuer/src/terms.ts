// Entry point `@licensor/issuer/terms`: the limits of a license's terms and their defaults,
// without any other code of the issuer (the portal's web form imports it in the browser).

export {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  TERMS_LIMITS,
  type TermsLimits,
} from './domain/terms-limits.js';
