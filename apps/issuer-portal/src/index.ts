// @licensor/issuer-portal: the vendor's web portal (UI + REST API) as an express app.

export type { LoginRateLimit } from './server/api/api-router.js';
export { DEFAULT_LOGIN_RATE_LIMIT } from './server/api/api-router.js';
export { buildOpenApiDocument } from './server/api/openapi.js';
export { API_ROUTES } from './server/api/routes.js';
export type { PortalApp, PortalDeps } from './server/app.js';
export { createPortalApp, PORTAL_VERSION } from './server/app.js';
export { codeToStatus } from './server/http/code-to-status.js';
export type { ErrorBody } from './server/http/error-handler.js';
export type { PortalErrorCode } from './server/http/portal-errors.js';
export {
  CsrfError,
  ForbiddenError,
  LoginFailedError,
  NotFoundError,
  PortalError,
  RequestInvalidError,
  SessionExpiredError,
  UnauthenticatedError,
} from './server/http/portal-errors.js';
export type { Role } from './server/roles.js';
export { ROLES, roleAllows } from './server/roles.js';
export type { SessionTimeouts } from './server/session/session-manager.js';
export {
  COOKIE_NAME,
  DEFAULT_TIMEOUTS,
  SECURE_COOKIE_NAME,
  SessionManager,
} from './server/session/session-manager.js';
export type { Session, SessionStore } from './server/session/session-store.js';
export { MemorySessionStore, StoreSessionStore } from './server/session/session-store.js';
