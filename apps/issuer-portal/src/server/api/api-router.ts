// The /api/v1 router: origin and content-type checks, JSON bodies, the login rate limit,
// every declared route, the OpenAPI document, and the one error body for whatever fails.
import express, { type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { sameOriginJsonOnly } from '../http/csrf.js';
import { errorHandler, notFoundHandler, sendError } from '../http/error-handler.js';
import type { ApiDeps } from './deps.js';
import { buildOpenApiDocument } from './openapi.js';
import { registerRoutes } from './register-routes.js';
import { API_ROUTES } from './routes.js';

export interface LoginRateLimit {
  windowMs: number;
  /** Failed logins allowed per client address in the window. */
  limit: number;
}

export const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimit = { windowMs: 15 * 60 * 1000, limit: 10 };

export function createApiRouter(
  deps: ApiDeps,
  options: { loginRateLimit: LoginRateLimit; version: string },
): Router {
  const router = express.Router();
  const openApi = buildOpenApiDocument(API_ROUTES, options.version);

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(sameOriginJsonOnly());
  router.use(express.json({ limit: '100kb' }));

  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  // Only failures count, so a busy office behind one address is not locked out; a wrong
  // current password on a password change counts like a failed login.
  const failedLogins = rateLimit({
    windowMs: options.loginRateLimit.windowMs,
    limit: options.loginRateLimit.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    handler: (_req, res) => {
      sendError(
        res,
        429,
        'ERR_RATE_LIMITED',
        'Too many failed password attempts from this address. Wait a few minutes, then try again.',
      );
    },
  });
  router.post('/auth/login', failedLogins);
  router.post('/auth/password', failedLogins);

  registerRoutes(router, API_ROUTES, { sessions: deps.sessions, deps });
  router.use(notFoundHandler());
  router.use(errorHandler(deps.logger));
  return router;
}
