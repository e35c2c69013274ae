// The one error body: {"error":{"code","message","requestId"}}. Typed errors (LicensorError
// and subclasses, from any package) keep their code and message; anything else is a plain 500
// whose details go to the log, never to the client.
import { isLicensorError } from '@licensor/token';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { codeToStatus } from './code-to-status.js';
import { RequestInvalidError } from './portal-errors.js';

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

/** Errors body-parser raises for bad JSON or oversized bodies, turned into typed answers. */
function bodyParserError(err: unknown): { status: number; code: string; message: string } | null {
  if (typeof err !== 'object' || err === null || !('type' in err)) return null;
  const type = (err as { type: unknown }).type;
  if (type === 'entity.parse.failed') {
    return { status: 400, code: 'ERR_REQUEST_INVALID', message: 'The request body is not JSON.' };
  }
  if (type === 'entity.too.large') {
    return {
      status: 413,
      code: 'ERR_BODY_TOO_LARGE',
      message: 'The request body is too large.',
    };
  }
  return null;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req: Request, res: Response, _next) => {
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
    const parsed = bodyParserError(err);
    if (parsed) {
      sendError(res, parsed.status, parsed.code, parsed.message);
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
