// CSRF defences, in depth: SameSite=Strict cookies; a synchronizer token per session that
// every state-changing request must echo in X-CSRF-Token; state changes must be JSON (a
// cross-site HTML form cannot send that without a CORS preflight the server never grants);
// and a request whose Origin names another site is refused outright.
import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Session } from '../session/session-store.js';
import { CsrfError, PortalError } from './portal-errors.js';

export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The portal's origin as the request addressed it (`null` when it cannot be read). */
function ownOrigin(req: Request): string | null {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return null;
  }
}

/** The Origin header in its serialised form (`null` for "null" or anything unreadable). */
function originOf(header: string): string | null {
  if (header === 'null') return null;
  try {
    return new URL(header).origin;
  } catch {
    return null;
  }
}

export function isStateChange(req: Request): boolean {
  return !SAFE_METHODS.has(req.method);
}

export function checkCsrfToken(req: Request, session: Session): void {
  const sent = req.get(CSRF_HEADER);
  if (!sent) throw new CsrfError();
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrfToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new CsrfError();
}

/** Refuses cross-origin and non-JSON state changes before any route runs. */
export function sameOriginJsonOnly(): RequestHandler {
  return (req, _res, next) => {
    if (!isStateChange(req)) return next();
    // The whole origin, scheme, host and port, must be the portal's own (#16.8): comparing the
    // host alone let `Origin: https://HOST` through to the http portal on HOST. req.protocol
    // and req.host honour X-Forwarded-Proto/-Host when `trust proxy` is set, so this holds
    // behind a TLS-terminating proxy.
    const origin = req.get('origin');
    if (origin !== undefined && origin !== '') {
      const sent = originOf(origin);
      if (sent === null || sent !== ownOrigin(req)) return next(new CsrfError());
    }
    const length = Number(req.get('content-length') ?? 0);
    const hasBody = length > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      return next(
        new PortalError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.'),
      );
    }
    next();
  };
}
