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
    const origin = req.get('origin');
    if (origin && origin !== 'null') {
      let host: string;
      try {
        host = new URL(origin).host;
      } catch {
        return next(new CsrfError());
      }
      // req.host honours X-Forwarded-Host when `trust proxy` is set, so this holds behind a proxy.
      if (host !== req.host) return next(new CsrfError());
    } else if (origin === 'null') {
      return next(new CsrfError());
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
