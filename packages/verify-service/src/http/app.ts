// The express app: every route but the hot one is ordinary express (health, readiness, metrics,
// 404/405 and the central error handler), and POST /v1/checks is the same bare handler the lean
// server uses. No body-parser, no ETag, no X-Powered-By.
import { scrapeTokenMatches } from '@licensor/http-errors';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { MethodNotAllowedError, NotFoundError, UnauthenticatedError } from '../errors.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';
import type { CheckRoute } from './check-route.js';
import { requestIdOf, securityHeaders } from './headers.js';
import { sendError } from './send.js';

export interface AppDeps {
  checkRoute: CheckRoute;
  /** Resolves when the store answers; rejects with a typed error otherwise. */
  ready: () => Promise<void>;
  /** Prometheus text; a promise when it gathers the other workers' metrics too. */
  metricsText: () => Promise<string>;
  /**
   * The scrape token (LICENSOR_METRICS_TOKEN): GET /metrics answers only `Authorization: Bearer
   * <it>` (401 otherwise). Null: /metrics answers anyone who reaches the port (keep it on the
   * private network).
   */
  metricsToken: string | null;
  logger: Logger;
}

export function buildExpressApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.post('/v1/checks', (req, res) => deps.checkRoute(req, res));
  app.all('/v1/checks', (req, _res, next) => {
    next(
      Object.assign(new MethodNotAllowedError(`${req.method} is not allowed here; use POST.`), {
        allow: 'POST',
      }),
    );
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.requestId = requestIdOf(req);
    res.set(securityHeaders);
    res.set('x-request-id', res.locals.requestId as string);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res, next) => {
    try {
      await deps.ready();
      res.json({ status: 'ready' });
    } catch (error) {
      next(error);
    }
  });

  app.get('/metrics', async (req, res, next) => {
    const token = deps.metricsToken;
    if (token !== null && !scrapeTokenMatches(req.headers.authorization, token)) {
      res.set('WWW-Authenticate', 'Bearer realm="licensor-metrics"');
      next(
        new UnauthenticatedError(
          'GET /metrics needs the scrape token: send the header Authorization: Bearer <LICENSOR_METRICS_TOKEN>.',
        ),
      );
      return;
    }
    try {
      const text = await deps.metricsText();
      res.type(METRICS_CONTENT_TYPE).send(text);
    } catch (error) {
      next(error);
    }
  });

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new NotFoundError(`No route ${req.method} ${req.path}.`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = (res.locals.requestId as string | undefined) ?? requestIdOf(req);
    const allow = (error as { allow?: unknown }).allow;
    const code = sendError(res, error, requestId, typeof allow === 'string' ? { allow } : {});
    if (code === 'ERR_INTERNAL') deps.logger.error({ err: error, requestId }, 'request failed');
  });

  return app;
}
