// The API's error handler, on the one HTTP error rule (@licensor/http-errors): the body
// {"error":{"code","message","requestId"}}, the status from the portal's table (code-to-status.ts),
// and anything the table does not hold a plain 500 whose details go to the log, never to the
// client. Errors express and body-parser raise for unreadable requests are the client's
// mistakes (fromRequestReadError), translated first.
import { type ErrorAnswer, type ErrorBody, errorAnswer } from '@licensor/http-errors';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { PORTAL_STATUS } from './code-to-status.js';
import { fromRequestReadError, RequestInvalidError } from './portal-errors.js';

export type { ErrorBody };

const INTERNAL_MESSAGE = 'Something went wrong on the server. Try again later.';

export function requestIdOf(res: Response): string {
  return String(res.locals.requestId ?? 'unknown');
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  const body: ErrorBody = { error: { code, message, requestId: requestIdOf(res) } };
  res.status(status).json(body);
}

/** The answer to anything thrown while serving a request: the one rule, with the portal's table. */
export function portalErrorAnswer(thrown: unknown, requestId: string): ErrorAnswer {
  const err = fromRequestReadError(thrown) ?? thrown;
  const answer = errorAnswer(err, requestId, PORTAL_STATUS, INTERNAL_MESSAGE);
  if (!answer.internal && err instanceof RequestInvalidError && err.issues.length > 0) {
    answer.body.error.issues = err.issues;
  }
  // A refusal of the terms, a plan or a product names its field (TermsInvalidError and the
  // catalogue's errors carry it): a form can show the refusal there.
  const field = (err as { field?: unknown }).field;
  if (!answer.internal && answer.status < 500 && typeof field === 'string' && field !== '') {
    answer.body.error.field = field;
  }
  return answer;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, _req: Request, res: Response, _next) => {
    const answer = portalErrorAnswer(thrown, requestIdOf(res));
    if (answer.status >= 500) {
      logger.error({ err: thrown, requestId: requestIdOf(res) }, 'request failed');
    }
    res.status(answer.status).json(answer.body);
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
