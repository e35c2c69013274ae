// The portal's code -> status table, on the one HTTP error rule (@licensor/http-errors). It is a
// Record over every code the portal can meet: its own (PORTAL_ERROR_CODES), the issuer's
// (ISSUER_ERROR_CODES) and the token package's (TOKEN_ERROR_CODES), so a code added to any of
// them without a status here fails the typecheck. Anything else is a plain 500.
// A token error is a 422 here: the portal understood the request and refuses the pasted
// challenge it carries (the verify service answers 400, the check request itself being bad).

import { statusTable } from '@licensor/http-errors';
import type { IssuerErrorCode } from '@licensor/issuer';
import type { TokenErrorCode } from '@licensor/token';
import type { PortalErrorCode } from './portal-errors.js';

export type PortalAnsweredCode = PortalErrorCode | IssuerErrorCode | TokenErrorCode;

export const PORTAL_STATUS = statusTable<PortalAnsweredCode>({
  // The portal's own codes.
  ERR_UNAUTHENTICATED: 401,
  ERR_TOKEN_INVALID: 401,
  ERR_TOKEN_EXISTS: 409,
  ERR_WEBHOOK_URL_INVALID: 422,
  ERR_SESSION_EXPIRED: 401,
  ERR_LOGIN_FAILED: 401,
  ERR_PASSWORD_WRONG: 403,
  ERR_PASSWORD_CHANGE_REQUIRED: 403,
  ERR_PASSWORD_UNCHANGED: 422,
  ERR_FORBIDDEN: 403,
  ERR_CSRF_INVALID: 403,
  ERR_HOST_NOT_ALLOWED: 403,
  ERR_REQUEST_INVALID: 400,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_BODY_TOO_LARGE: 413,
  ERR_RATE_LIMITED: 429,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_NOT_FOUND: 404,
  ERR_2FA_REQUIRED: 401,
  ERR_2FA_CODE_WRONG: 401,
  ERR_2FA_CODE_USED: 401,
  ERR_2FA_ENROLMENT_REQUIRED: 403,
  ERR_2FA_ALREADY_ENABLED: 409,
  ERR_2FA_NOT_ENABLED: 409,
  ERR_2FA_NOT_ENROLLING: 409,
  ERR_2FA_REQUIRED_BY_POLICY: 409,
  // A sealed TOTP secret and no (or the wrong) LICENSOR_2FA_KEY: the server is not set up.
  ERR_2FA_KEY_REQUIRED: 503,
  ERR_SSO_NOT_CONFIGURED: 404,
  ERR_SSO_STATE_INVALID: 400,
  ERR_SSO_NONCE_INVALID: 401,
  ERR_SSO_DENIED: 401,
  ERR_SSO_NO_ROLE: 403,
  ERR_SSO_USER_DISABLED: 403,
  ERR_PASSWORD_LOGIN_DISABLED: 403,
  // The identity provider cannot be reached or answered what cannot be verified.
  ERR_SSO_FAILED: 502,
  // Single sign-on set up wrong (the CLI refuses to start with it first).
  ERR_SSO_CONFIG: 503,
  // @licensor/token: a pasted challenge that cannot be read or does not verify.
  ERR_INPUT_TOO_LARGE: 413,
  ERR_JWS_MALFORMED: 422,
  ERR_BASE64URL_INVALID: 422,
  ERR_JSON_INVALID: 422,
  ERR_JWS_ALG_INVALID: 422,
  ERR_JWS_TYP_INVALID: 422,
  ERR_JWS_HEADER_FORBIDDEN: 422,
  ERR_KID_UNKNOWN: 422,
  ERR_KEY_WRONG_PURPOSE: 422,
  ERR_KEY_INVALID: 422,
  ERR_SIGNATURE_INVALID: 422,
  ERR_CLAIMS_INVALID: 422,
  ERR_VERSION_UNSUPPORTED: 422,
  ERR_ARMOR_INVALID: 422,
  ERR_KEYRING_INVALID: 422,
  ERR_KEYSET_STALE: 422,
  // @licensor/issuer: refused input and terms.
  ERR_INPUT_INVALID: 400,
  ERR_TERMS_INVALID: 422,
  ERR_PASSWORD_WEAK: 422,
  ERR_CHALLENGE_EXPIRED: 422,
  ERR_KEYSET_UNKNOWN: 422,
  ERR_PRODUCT_INVALID: 422,
  ERR_PLAN_INVALID: 422,
  ERR_PRODUCT_NOT_COVERED: 422,
  // @licensor/issuer: the records are not in the state the request needs.
  ERR_CHALLENGE_USED: 409,
  ERR_APPROVAL_REQUIRED: 409,
  ERR_INSTALLATION_LICENSED: 409,
  ERR_LICENSE_STATE: 409,
  ERR_NOT_SUBSCRIPTION: 409,
  ERR_RENEWAL_TOO_EARLY: 409,
  ERR_REQUEST_DECIDED: 409,
  ERR_KEY_ACTIVE: 409,
  ERR_KEY_STATE: 409,
  ERR_USER_EXISTS: 409,
  ERR_NAME_TAKEN: 409,
  ERR_LAST_ADMIN: 409,
  ERR_CONCURRENT_UPDATE: 409,
  ERR_FORK_CLOSED: 409,
  ERR_AUDIT_CHAIN_BROKEN: 409,
  ERR_LICENSE_NOT_FOUND: 404,
  ERR_REQUEST_NOT_FOUND: 404,
  ERR_CUSTOMER_NOT_FOUND: 404,
  ERR_KEY_NOT_FOUND: 404,
  ERR_USER_NOT_FOUND: 404,
  ERR_FORK_NOT_FOUND: 404,
  ERR_PRODUCT_NOT_FOUND: 404,
  ERR_PLAN_NOT_FOUND: 404,
  // The server is not set up to do this (store, keys, passphrase, HSM): not the caller's fault.
  ERR_STORE_UNAVAILABLE: 503,
  ERR_STORE_SCHEMA: 503,
  ERR_STORE_CORRUPT: 503,
  ERR_STORE_NOT_FOUND: 503,
  ERR_NOT_INITIALISED: 503,
  ERR_PASSPHRASE_REQUIRED: 503,
  ERR_PASSPHRASE_WRONG: 503,
  ERR_PASSPHRASE_SHARED: 503,
  ERR_ISSUING_SECRET_EXPOSED: 503,
  ERR_KEY_FILE: 503,
  // The HSM that holds the license key cannot sign now (configuration, module, token, PIN, key).
  ERR_HSM_CONFIG: 503,
  ERR_HSM_MODULE: 503,
  ERR_HSM_TOKEN_MISSING: 503,
  ERR_HSM_PIN: 503,
  ERR_HSM_KEY_MISSING: 503,
  ERR_HSM_DEVICE: 503,
});

/** The status the portal answers a code with; 500 for a code the table does not hold. */
export function codeToStatus(code: string): number {
  return PORTAL_STATUS.statusOf(code);
}
