// The last handlers of the app, for every path the API router does not own: a path no route
// answers, and any error a static file, the router or a middleware raises (a malformed
// percent-encoding such as `/%c0` or `/assets/..%c0%af..`). They answer with the portal's own
// error page, or the one JSON error body when the client asks for JSON or the path is under
// /api, so that express's default error page, which carries the stack and absolute paths
// whenever NODE_ENV is unset, is never sent (#16.1).
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { type ErrorBody, portalErrorAnswer, requestIdOf } from './error-handler.js';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!);

/** The portal's own error page: plain HTML (the CSP allows no inline style or script). */
export function errorPage(status: number, body: ErrorBody): string {
  const { code, message, requestId } = body.error;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${status} · Licensor portal</title></head>`,
    '<body>',
    `<h1>${status === 404 ? 'Page not found' : 'This request could not be answered'}</h1>`,
    `<p>${escapeHtml(message)}</p>`,
    `<p><small>${escapeHtml(code)} · request id ${escapeHtml(requestId)}</small></p>`,
    '<p><a href="/">Go to the Licensor portal</a></p>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';
}

function answer(req: Request, res: Response, status: number, body: ErrorBody): void {
  res.setHeader('Cache-Control', 'no-store');
  if (wantsJson(req)) {
    res.status(status).json(body);
  } else {
    res.status(status).type('html').send(errorPage(status, body));
  }
}

export function pageNotFound(): RequestHandler {
  return (req, res) => {
    const message = `There is no page ${req.method} ${req.path}.`;
    const body = { error: { code: 'ERR_NOT_FOUND', message, requestId: requestIdOf(res) } };
    answer(req, res, 404, body);
  };
}

export function pageErrorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, req, res, _next) => {
    const requestId = requestIdOf(res);
    if (res.headersSent) {
      logger.error({ err: thrown, requestId }, 'failed while answering');
      req.socket.destroy();
      return;
    }
    const { status, body } = portalErrorAnswer(thrown, requestId);
    if (status >= 500) logger.error({ err: thrown, requestId }, 'unexpected error');
    answer(req, res, status, body);
  };
}
