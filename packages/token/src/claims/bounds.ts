// The numeric bounds of the claims, in one module without imports: the schema checks against
// them, and the vendor's tools (the issuer's terms, the portal's API and its form, which runs in
// a browser) build their limits on them through `@licensor/token/bounds`.

/** Largest NumericDate accepted: 9999-12-31T23:59:59Z. */
export const MAX_NUMERIC_DATE = 253_402_300_799;
/** Largest count (credentials, revision) accepted. */
export const MAX_COUNT = 1_000_000_000;
/** Longest grace period accepted: ten years. */
export const MAX_GRACE_SECONDS = 10 * 366 * 86_400;
/** Longest customer name, in characters. */
export const MAX_CUSTOMER_NAME_LENGTH = 200;
/** Most declined requests one status relays (status v2 `rejected`). */
export const MAX_STATUS_REJECTIONS = 4;
/** Longest vendor's reason a status relays with a declined request, in characters. */
export const MAX_REJECTION_REASON_LENGTH = 200;
