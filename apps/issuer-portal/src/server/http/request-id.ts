// Every request gets an id that appears in the log and in any error body, so a support
// engineer can quote it: the one request-id rule of both servers (@licensor/http-errors), the
// caller's X-Request-Id when it is a plain token, else a new UUID.
import { requestIdFrom } from '@licensor/http-errors';
import type { RequestHandler } from 'express';

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.get('x-request-id'));
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
