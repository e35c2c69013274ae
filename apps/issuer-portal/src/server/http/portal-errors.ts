// The portal's own typed errors: everything a browser or an API client can cause at the HTTP
// layer (not logged in, wrong role, missing CSRF token, bad request body, too many logins).
// Domain refusals come from the issuer and token packages with their own codes.
import { LicensorError } from '@licensor/token';

/** Every code of the portal's own errors: the status table is typed over it (code-to-status.ts). */
export const PORTAL_ERROR_CODES = [
  'ERR_UNAUTHENTICATED',
  'ERR_SESSION_EXPIRED',
  'ERR_LOGIN_FAILED',
  'ERR_PASSWORD_WRONG',
  'ERR_PASSWORD_CHANGE_REQUIRED',
  'ERR_PASSWORD_UNCHANGED',
  'ERR_FORBIDDEN',
  'ERR_CSRF_INVALID',
  'ERR_REQUEST_INVALID',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_BODY_TOO_LARGE',
  'ERR_RATE_LIMITED',
  'ERR_ROUTE_NOT_FOUND',
  'ERR_NOT_FOUND',
  'ERR_HOST_NOT_ALLOWED',
  // API tokens (auth/api-tokens.ts).
  'ERR_TOKEN_INVALID',
  'ERR_TOKEN_EXISTS',
  // Webhooks (webhooks/url-rules.ts).
  'ERR_WEBHOOK_URL_INVALID',
  // Two-factor login (auth/two-factor.ts).
  'ERR_2FA_REQUIRED',
  'ERR_2FA_CODE_WRONG',
  'ERR_2FA_CODE_USED',
  'ERR_2FA_ENROLMENT_REQUIRED',
  'ERR_2FA_ALREADY_ENABLED',
  'ERR_2FA_NOT_ENABLED',
  'ERR_2FA_NOT_ENROLLING',
  'ERR_2FA_REQUIRED_BY_POLICY',
  'ERR_2FA_KEY_REQUIRED',
  // Single sign-on (auth/sso.ts) and password login turned off.
  'ERR_SSO_NOT_CONFIGURED',
  'ERR_SSO_STATE_INVALID',
  'ERR_SSO_NONCE_INVALID',
  'ERR_SSO_DENIED',
  'ERR_SSO_FAILED',
  'ERR_SSO_NO_ROLE',
  'ERR_SSO_USER_DISABLED',
  'ERR_SSO_CONFIG',
  'ERR_PASSWORD_LOGIN_DISABLED',
] as const;

export type PortalErrorCode = (typeof PORTAL_ERROR_CODES)[number];

export class PortalError extends LicensorError {
  constructor(code: PortalErrorCode, message: string) {
    super(code, message);
    this.name = 'PortalError';
  }
}

export class UnauthenticatedError extends PortalError {
  constructor(message = 'Log in to continue.') {
    super('ERR_UNAUTHENTICATED', message);
  }
}

export class SessionExpiredError extends PortalError {
  constructor() {
    super('ERR_SESSION_EXPIRED', 'Your session has expired. Log in again.');
  }
}

export class LoginFailedError extends PortalError {
  constructor() {
    // One message for "no such user" and "wrong password", so names cannot be probed.
    super('ERR_LOGIN_FAILED', 'The user name or password is wrong.');
  }
}

export class PasswordWrongError extends PortalError {
  constructor() {
    super('ERR_PASSWORD_WRONG', 'Your current password is wrong; the password was not changed.');
  }
}

/** The session's user logged in with a one-time password: only changing it (and logging out) answers. */
export class PasswordChangeRequiredError extends PortalError {
  constructor() {
    super(
      'ERR_PASSWORD_CHANGE_REQUIRED',
      'You logged in with a one-time password. Choose your own password (POST /api/v1/auth/password) before anything else.',
    );
  }
}

/** A "new" password equal to the current one: nothing would change. */
export class PasswordUnchangedError extends PortalError {
  constructor() {
    super(
      'ERR_PASSWORD_UNCHANGED',
      'The new password is the current one. Choose a different password.',
    );
  }
}

export class ForbiddenError extends PortalError {
  constructor(required: string, why?: string) {
    super(
      'ERR_FORBIDDEN',
      why === undefined
        ? `This needs the ${required} role. Ask an administrator.`
        : `This needs a logged-in ${required}: ${why}.`,
    );
  }
}

export class CsrfError extends PortalError {
  constructor() {
    super(
      'ERR_CSRF_INVALID',
      'The request did not carry this session’s CSRF token. Reload the page and try again.',
    );
  }
}

export class RequestInvalidError extends PortalError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(message: string, issues: readonly { path: string; message: string }[] = []) {
    super('ERR_REQUEST_INVALID', message);
    this.issues = issues;
  }
}

export class NotFoundError extends PortalError {
  constructor(what: string) {
    super('ERR_NOT_FOUND', `${what} was not found.`);
  }
}

export class HostNotAllowedError extends PortalError {
  constructor(host: string) {
    super(
      'ERR_HOST_NOT_ALLOWED',
      `This portal does not answer to the host name "${host}". Open it by an address it was ` +
        'given (--allowed-host or LICENSOR_PORTAL_HOSTS), by IP address, or as localhost.',
    );
  }
}

/**
 * The errors express, its router and body-parser raise for a request they cannot read (a
 * malformed percent-encoding in the path, a body in an unsupported charset or encoding, a
 * corrupt compressed body, invalid JSON, an oversized body), as the portal's typed errors.
 * Their own messages are never echoed; null for anything that is not such a client error.
 */
export function fromRequestReadError(err: unknown): PortalError | null {
  if (typeof err !== 'object' || err === null) return null;
  const { status, statusCode, type } = err as {
    status?: unknown;
    statusCode?: unknown;
    type?: unknown;
  };
  const code = typeof status === 'number' ? status : statusCode;
  if (err instanceof URIError) {
    return new RequestInvalidError(
      'The address holds a malformed percent-encoding (such as "%" or "%c0"). Check the link.',
    );
  }
  switch (type) {
    case 'entity.parse.failed':
      return new RequestInvalidError('The request body is not JSON.');
    case 'entity.too.large':
      return new PortalError('ERR_BODY_TOO_LARGE', 'The request body is too large.');
    case 'charset.unsupported':
      return new PortalError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        'Send the request body as application/json in UTF-8.',
      );
    case 'encoding.unsupported':
      return new PortalError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        'The request body uses a Content-Encoding the portal does not read; send it uncompressed, or as gzip, deflate or br.',
      );
  }
  if (typeof code === 'number' && code >= 400 && code < 500) {
    // A compressed body that does not inflate, a body cut short, or any other request the
    // server could not read.
    return new RequestInvalidError('The request could not be read; send it again, unaltered.');
  }
  return null;
}
