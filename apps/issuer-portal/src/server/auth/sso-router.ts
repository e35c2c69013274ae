// The browser's side of single sign-on: `GET /api/v1/auth/oidc/start` sends the browser to the
// identity provider; `GET /api/v1/auth/oidc/callback` is where the provider sends it back. These
// are page navigations, not API calls: they answer with redirects and HTML pages (a refusal is
// the portal's error page with the code and what to do), never JSON.
//
// The session cookie is SameSite=Strict, and a browser does not send it on a redirect chain that
// began at another site (the provider): so the callback answers a small page that moves on to
// the portal (a same-site navigation), rather than a redirect.
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { ApiDeps } from '../api/deps.js';
import { auditPortalEvent, auditSessionEvent } from '../api/deps.js';
import { portalErrorAnswer, requestIdOf } from '../http/error-handler.js';
import { errorPage } from '../http/fallback.js';
import { clientKeyOf } from './client-key.js';
import {
  DEFAULT_SSO_START_LIMIT,
  SECURE_SSO_COOKIE,
  SSO_COOKIE,
  SSO_LOGIN_TTL_MS,
  type Sso,
  SsoError,
  type SsoIdentityClaims,
  ssoCookieOf,
} from './sso.js';
import { WindowLimiter } from './window-limiter.js';

function cookieOptions(req: Request) {
  // Lax: the cookie must come back with the provider's top-level redirect to the callback.
  return { httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: '/' };
}

function refuse(res: Response, logger: Logger, thrown: unknown): void {
  const requestId = requestIdOf(res);
  const { status, body } = portalErrorAnswer(thrown, requestId);
  if (status >= 500) logger.error({ err: thrown, requestId }, 'single sign-on failed');
  res.status(status).type('html').send(errorPage(status, body));
}

const CONTINUE_PAGE = [
  '<!doctype html>',
  '<html lang="en">',
  '<head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/">',
  '<title>Signed in · Licensor portal</title></head>',
  '<body><p>Signed in. <a href="/">Continue to the Licensor portal</a>.</p></body>',
  '</html>',
  '',
].join('\n');

export function ssoRouter(deps: ApiDeps, sso: Sso | undefined): Router {
  const router = express.Router();
  const { logger } = deps;
  const starts = new WindowLimiter(sso?.startLimit ?? DEFAULT_SSO_START_LIMIT, deps.now);
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/start', async (req, res) => {
    try {
      if (sso === undefined) {
        throw new SsoError(
          'ERR_SSO_NOT_CONFIGURED',
          'Single sign-on is not set up on this portal.',
        );
      }
      // Anyone may start a login, and each start is a row in the store for ten minutes.
      const wait = starts.take(clientKeyOf(req.ip ?? ''));
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        throw new SsoError(
          'ERR_RATE_LIMITED',
          `Too many sign-ins started from this address. Wait ${wait} seconds, then try again.`,
        );
      }
      const { url, cookie } = await sso.start();
      res.cookie(req.secure ? SECURE_SSO_COOKIE : SSO_COOKIE, cookie, {
        ...cookieOptions(req),
        maxAge: SSO_LOGIN_TTL_MS,
      });
      res.redirect(303, url);
    } catch (error) {
      refuse(res, logger, error);
    }
  });

  router.get('/callback', async (req, res) => {
    let identity: SsoIdentityClaims | undefined;
    try {
      if (sso === undefined) {
        throw new SsoError(
          'ERR_SSO_NOT_CONFIGURED',
          'Single sign-on is not set up on this portal.',
        );
      }
      const cookie = ssoCookieOf(req.get('cookie'), req.secure);
      res.clearCookie(req.secure ? SECURE_SSO_COOKIE : SSO_COOKIE, cookieOptions(req));
      const query = req.originalUrl.includes('?')
        ? req.originalUrl.slice(req.originalUrl.indexOf('?'))
        : '';
      identity = await sso.finish(cookie, new URL(query, sso.redirectUrl));
      const role = sso.roleOf(identity);
      const user = await sso.userOf(identity, role);
      await deps.sessions.start(req, res, user);
      await auditSessionEvent(deps, user.name, 'session.login', {
        ip: req.ip ?? null,
        method: 'sso',
        issuer: identity.issuer,
        subject: identity.subject,
      });
      res.status(200).type('html').send(CONTINUE_PAGE);
    } catch (error) {
      if (error instanceof SsoError) {
        await auditPortalEvent(
          deps,
          identity?.email ?? identity?.subject ?? 'unknown',
          'session.sso-refused',
          null,
          {
            ip: req.ip ?? null,
            reason: error.code,
            ...(identity ? { subject: identity.subject, groups: identity.groups } : {}),
          },
        ).catch(() => undefined);
      }
      refuse(res, logger, error);
    }
  });
  return router;
}
