// Log in, see the session, change your own password, log out. Login renews the session id (any
// session the browser held ends) and answers with the CSRF token the SPA must echo on state
// changes. A password change needs the current password, ends every session of the user (a
// stolen session dies with the old password) and starts a new one for the browser that asked.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { RateLimitedError } from '../../auth/login-limit.js';
import { LoginFailedError, PasswordWrongError } from '../../http/portal-errors.js';
import type { Session } from '../../session/session-store.js';
import type { ApiDeps } from '../deps.js';
import { auditSessionEvent } from '../deps.js';
import { defineRoute } from '../route.js';
import { SessionInfoSchema } from '../schemas/answers.js';
import { NewPasswordSchema } from '../schemas/records.js';

function sessionInfo(deps: ApiDeps, session: Session) {
  const expires = deps.sessions.expiresAt(session);
  return {
    user: { id: session.userId, name: session.userName, role: session.role },
    csrfToken: session.csrfToken,
    idleExpiresAt: expires.idle,
    absoluteExpiresAt: expires.absolute,
  };
}

/** The client's address as express sees it (honouring `trust proxy`). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Awaits a limit check; a refusal carries Retry-After. */
export async function limited(res: Response, check: Promise<void>): Promise<void> {
  try {
    await check;
  } catch (error) {
    if (error instanceof RateLimitedError) {
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
    }
    throw error;
  }
}

export const login = defineRoute({
  method: 'post',
  path: '/auth/login',
  operationId: 'login',
  summary: 'Log in with a user name and password; sets the session cookie.',
  tag: 'session',
  access: 'public',
  errors: [401, 415, 429],
  body: z.object({
    name: z.string().min(1).max(100),
    password: z.string().min(1).max(1000),
  }),
  response: SessionInfoSchema,
  async handle({ body, deps, req, res }) {
    const address = clientAddress(req);
    await limited(res, deps.loginLimiter.check(body.name, address));
    const user = await deps.issuer.users.authenticate(body.name, body.password);
    if (!user) {
      await deps.loginLimiter.fail(body.name, address);
      await auditSessionEvent(deps, body.name, 'session.login-failed', { ip: req.ip ?? null });
      throw new LoginFailedError();
    }
    await deps.loginLimiter.succeed(body.name, address);
    const session = await deps.sessions.start(req, res, user);
    await auditSessionEvent(deps, user.name, 'session.login', { ip: req.ip ?? null });
    return sessionInfo(deps, session);
  },
});

export const currentSession = defineRoute({
  method: 'get',
  path: '/auth/session',
  operationId: 'getSession',
  summary: 'The logged-in user, the CSRF token and when the session ends.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  response: SessionInfoSchema,
  handle({ deps, session }) {
    return sessionInfo(deps, session!);
  },
});

export const changePassword = defineRoute({
  method: 'post',
  path: '/auth/password',
  operationId: 'changePassword',
  summary:
    'Change your own password. Ends all your sessions and starts a new one (a new CSRF token).',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  errors: [403, 429],
  body: z.object({
    currentPassword: z.string().min(1).max(1000),
    newPassword: NewPasswordSchema,
  }),
  response: SessionInfoSchema,
  async handle({ body, deps, session, req, res }) {
    const { userName } = session!;
    const address = clientAddress(req);
    await limited(res, deps.loginLimiter.check(userName, address));
    const user = await deps.issuer.users.authenticate(userName, body.currentPassword);
    if (!user) {
      await deps.loginLimiter.fail(userName, address);
      await auditSessionEvent(deps, userName, 'session.password-failed', { ip: req.ip ?? null });
      throw new PasswordWrongError();
    }
    await deps.issuer.users.setPassword(userName, body.newPassword, userName);
    await deps.sessionStore.deleteForUser(user.id);
    return sessionInfo(deps, await deps.sessions.start(req, res, user));
  },
});

export const logout = defineRoute({
  method: 'post',
  path: '/auth/logout',
  operationId: 'logout',
  summary: 'End the session.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  response: z.object({ ok: z.literal(true) }),
  async handle({ deps, session, req, res }) {
    await deps.sessions.end(req, res);
    await auditSessionEvent(deps, session!.userName, 'session.logout', {});
    return { ok: true as const };
  },
});
