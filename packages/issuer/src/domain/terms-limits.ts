// The one set of limits of a license's terms, built on the token's bounds. The issuer checks
// terms against it (terms.ts), the CLI names it in its help and checks, the portal's API schema
// is built from it and its form shows it. It imports nothing but the token's bounds, so a
// browser bundle takes it through `@licensor/issuer/terms`.

import { MAX_COUNT, MAX_CUSTOMER_NAME_LENGTH, MAX_GRACE_SECONDS } from '@licensor/token/bounds';

const DAY = 86_400;

export const TERMS_LIMITS = {
  customerName: { minLength: 1, maxLength: MAX_CUSTOMER_NAME_LENGTH },
  credentials: { min: 1, max: MAX_COUNT },
  /** A subscription term: up to ten years of 366 days, as long as the longest grace. */
  termDays: { min: 1, max: MAX_GRACE_SECONDS / DAY },
  /**
   * Offline grace: how long after its last valid check a subscription keeps working. At least a
   * day: with none, the installation could use its license only at the instant of a check
   * (tokens issued with 0 before 3 Dec 2026 still verify; new terms may not ask for it).
   */
  graceDays: { min: 1, max: MAX_GRACE_SECONDS / DAY },
} as const;

/** A new subscription term without `termDays` / `graceDays`. */
export const DEFAULT_TERM_DAYS = 365;
export const DEFAULT_GRACE_DAYS = 30;

export type TermsLimits = typeof TERMS_LIMITS;
