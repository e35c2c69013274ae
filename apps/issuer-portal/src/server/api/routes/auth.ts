// Log in, see the session, log out. Login renews the session id (any session the browser
// held ends) and answers with the CSRF token the SPA must echo on state changes.
import { z } from 'zod';
import { LoginFailedError } from '../../http/portal-errors.js';
import type { Session } from '../../session/session-store.js';
import type { ApiDeps } from '../deps.js';
import { auditSessionEvent } from '../deps.js';
import { defineRoute } from '../route.js';
import { SessionInfoSchema } from '../schemas/answers.js';

function sessionInfo(deps: ApiDeps, session: Session) {
  const expires = deps.sessions.expiresAt(session);
  return {
    user: { id: session.userId, name: session.userName, role: session.role },
    csrfToken: session.csrfToken,
    idleExpiresAt: expires.idle,
    absoluteExpiresAt: expires.absolute,
  };
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
    const user = await deps.issuer.users.authenticate(body.name, body.password);
    if (!user) {
      await auditSessionEvent(deps, body.name, 'session.login-failed', { ip: req.ip ?? null });
      throw new LoginFailedError();
    }
    const session = deps.sessions.start(req, res, user);
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
  response: SessionInfoSchema,
  handle({ deps, session }) {
    return sessionInfo(deps, session!);
  },
});

export const logout = defineRoute({
  method: 'post',
  path: '/auth/logout',
  operationId: 'logout',
  summary: 'End the session.',
  tag: 'session',
  access: 'viewer',
  response: z.object({ ok: z.literal(true) }),
  async handle({ deps, session, req, res }) {
    deps.sessions.end(req, res);
    await auditSessionEvent(deps, session!.userName, 'session.logout', {});
    return { ok: true as const };
  },
});
