// Writes answers straight to node's ServerResponse (the hot route never goes through express's
// response helpers): the status token, or the one error body. A status token is ASCII, so its
// length in characters is its length in bytes.
import type { ServerResponse } from 'node:http';
import { RateLimitedError, toErrorBody } from '../errors.js';
import { securityHeaders } from './headers.js';

// The fixed part of a 200 answer as raw [name, value, ...] pairs, built once.
const statusHeaders: readonly string[] = [
  ...Object.entries(securityHeaders).flat(),
  'content-type',
  'application/jose',
];

export function sendStatusToken(
  res: ServerResponse,
  token: string,
  requestId: string,
  closeConnection: boolean,
): void {
  const headers = statusHeaders.concat(
    'content-length',
    String(token.length),
    'x-request-id',
    requestId,
  );
  if (closeConnection) headers.push('connection', 'close');
  res.writeHead(200, headers);
  res.end(token);
}

/** Sends the error body; returns its code (ERR_INTERNAL for anything unexpected). */
export function sendError(
  res: ServerResponse,
  error: unknown,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): string {
  const { status, body } = toErrorBody(error, requestId);
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    ...securityHeaders,
    ...extraHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  };
  if (error instanceof RateLimitedError) headers['retry-after'] = String(error.retryAfterSeconds);
  if (res.headersSent) {
    res.destroy();
    return body.error.code;
  }
  res.writeHead(status, headers);
  res.end(text);
  return body.error.code;
}
