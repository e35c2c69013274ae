// Headers every answer carries, and the request id. The service answers machines, never renders
// a page, so the security headers forbid everything a browser could do with an answer. The
// request id is the caller's X-Request-Id when it is a plain token, otherwise a new UUID; it is
// echoed and logged so one check can be followed from the SDK to the service's log.
import type { IncomingMessage } from 'node:http';
import { requestIdFrom } from '@licensor/http-errors';

export const securityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/** The one request-id rule of both servers (@licensor/http-errors). */
export function requestIdOf(req: IncomingMessage): string {
  return requestIdFrom(req.headers['x-request-id']);
}

/** The client address: the socket's, or behind a trusted proxy the last X-Forwarded-For hop. */
/** The longest client address kept from `X-Forwarded-For` (characters). */
export const MAX_ADDRESS_LENGTH = 64;

export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    if (typeof forwarded === 'string' && forwarded.length > 0) {
      const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
      // A proxy that appends the address it saw writes at most an IPv6 address with a zone
      // and a port; longer is someone else's text, kept only as far as that (a key of the
      // limiters and the refusal log, and a fork's evidence: bounded whatever is sent).
      if (last.length > 0)
        return last.length > MAX_ADDRESS_LENGTH ? last.slice(0, MAX_ADDRESS_LENGTH) : last;
    }
  }
  return req.socket.remoteAddress ?? 'unknown';
}
