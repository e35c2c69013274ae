// The /api/v1 router: origin and content-type checks, JSON bodies, every declared route (the
// login limit is in the auth routes, counted in the shared store: auth/login-limit.ts), the
// OpenAPI document, and the one error body for whatever fails.
import express, { type Router } from 'express';
import { sameOriginJsonOnly } from '../http/csrf.js';
import { errorHandler, notFoundHandler } from '../http/error-handler.js';
import type { ApiDeps } from './deps.js';
import { buildOpenApiDocument } from './openapi.js';
import { registerRoutes } from './register-routes.js';
import { API_ROUTES } from './routes.js';

export { DEFAULT_LOGIN_RATE_LIMIT, type LoginRateLimit } from '../auth/login-limit.js';

export function createApiRouter(deps: ApiDeps, options: { version: string }): Router {
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

  registerRoutes(router, API_ROUTES, { sessions: deps.sessions, deps });
  router.use(notFoundHandler());
  router.use(errorHandler(deps.logger));
  return router;
}
