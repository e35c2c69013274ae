// The portal's own typed errors: everything a browser or an API client can cause at the HTTP
// layer (not logged in, wrong role, missing CSRF token, bad request body, too many logins).
// Domain refusals come from the issuer and token packages with their own codes.
import { LicensorError } from '@licensor/token';

export type PortalErrorCode =
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_LOGIN_FAILED'
  | 'ERR_PASSWORD_WRONG'
  | 'ERR_FORBIDDEN'
  | 'ERR_CSRF_INVALID'
  | 'ERR_REQUEST_INVALID'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_RATE_LIMITED'
  | 'ERR_ROUTE_NOT_FOUND'
  | 'ERR_NOT_FOUND'
  // API tokens (auth/api-tokens.ts).
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXISTS';

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
