// The one error body: {"error":{"code","message","requestId"}}. Typed errors (LicensorError
// and subclasses, from any package) keep their code and message; anything else is a plain 500
// whose details go to the log, never to the client.
import { isLicensorError } from '@licensor/token';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { codeToStatus } from './code-to-status.js';
import { fromRequestReadError, RequestInvalidError } from './portal-errors.js';

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId: string;
    issues?: readonly { path: string; message: string }[];
  };
}

export function requestIdOf(res: Response): string {
  return String(res.locals.requestId ?? 'unknown');
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  const body: ErrorBody = { error: { code, message, requestId: requestIdOf(res) } };
  res.status(status).json(body);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, _req: Request, res: Response, _next) => {
    const err = fromRequestReadError(thrown) ?? thrown;
    if (isLicensorError(err)) {
      const status = codeToStatus(err.code);
      const body: ErrorBody = {
        error: { code: err.code, message: err.message, requestId: requestIdOf(res) },
      };
      if (err instanceof RequestInvalidError && err.issues.length > 0) {
        body.error.issues = err.issues;
      }
      if (status >= 500) logger.error({ err, requestId: requestIdOf(res) }, 'request failed');
      res.status(status).json(body);
      return;
    }
    logger.error({ err, requestId: requestIdOf(res) }, 'unexpected error');
    sendError(res, 500, 'ERR_INTERNAL', 'Something went wrong on the server. Try again later.');
  };
}

export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    sendError(
      res,
      404,
      'ERR_ROUTE_NOT_FOUND',
      `There is no API route ${req.method} ${req.baseUrl}${req.path}.`,
    );
  };
}
