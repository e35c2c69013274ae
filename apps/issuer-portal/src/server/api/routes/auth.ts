// Log in, see the session, change your own password, log out. Login renews the session id (any
// session the browser held ends) and answers with the CSRF token the SPA must echo on state
// changes. A user with two-factor login sends the code with the password (the first try without
// one is ERR_2FA_REQUIRED and is not counted by the login limit: the password checked out); a
// wrong or reused code counts as a failed login. A user the 2FA policy requires a second factor of, who has none, gets a session that
// only answers the enrolment routes (auth/two-factor.ts). A password change needs the current password, ends every session of the user (a
// stolen session dies with the old password) and starts a new one for the browser that asked.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { type LoginAttempt, RateLimitedError } from '../../auth/login-limit.js';
import {
  policyRequires,
  TwoFactorCodeUsedError,
  TwoFactorCodeWrongError,
  TwoFactorRequiredError,
} from '../../auth/two-factor.js';
import {
  LoginFailedError,
  PasswordUnchangedError,
  PasswordWrongError,
  PortalError,
} from '../../http/portal-errors.js';
import type { Role } from '../../roles.js';
import type { Session } from '../../session/session-store.js';
import type { ApiDeps } from '../deps.js';
import { auditSessionEvent } from '../deps.js';
import { defineRoute } from '../route.js';
import { SessionInfoSchema } from '../schemas/answers.js';
import { NewPasswordSchema } from '../schemas/records.js';

export function sessionInfo(deps: ApiDeps, session: Session) {
  const expires = deps.sessions.expiresAt(session);
  return {
    user: { id: session.userId, name: session.userName, role: session.role },
    csrfToken: session.csrfToken,
    idleExpiresAt: expires.idle,
    absoluteExpiresAt: expires.absolute,
    ...(session.changePassword ? { passwordChangeRequired: true } : {}),
    ...(session.enrolTwoFactor ? { twoFactorEnrolmentRequired: true } : {}),
  };
}

/**
 * The second factor of a user who just proved their password: null when they have none (then
 * whether the policy sends them to enrol), or the method used. A missing code is
 * ERR_2FA_REQUIRED (the attempt is withdrawn from the login limit); a wrong or reused one
 * counts as a failed login.
 */
export async function secondFactor(
  deps: ApiDeps,
  req: Request,
  user: { id: string; name: string; role: Role },
  code: string | undefined,
  attempt: LoginAttempt,
): Promise<{ method: 'totp' | 'recovery' | null; enrolTwoFactor: boolean }> {
  if (!(await deps.twoFactor.isEnabled(user.id))) {
    const enrolTwoFactor = policyRequires(await deps.twoFactor.policy(), user.role);
    return { method: null, enrolTwoFactor };
  }
  if (code === undefined || code.trim() === '') {
    // The password checked out: this was no guess. Counted, it would make the login's second
    // step (with the code) a client that has failed, refused once others failed the account.
    await attempt.withdrawn();
    throw new TwoFactorRequiredError();
  }
  try {
    return { method: await deps.twoFactor.verify(user.id, code), enrolTwoFactor: false };
  } catch (error) {
    if (error instanceof TwoFactorCodeWrongError || error instanceof TwoFactorCodeUsedError) {
      await attempt.failed();
      await auditSessionEvent(deps, user.name, 'session.2fa-failed', {
        ip: req.ip ?? null,
        reason: error.code,
      });
    }
    throw error;
  }
}

/** The client's address as express sees it (honouring `trust proxy`). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Awaits a limit check; a refusal carries Retry-After. */
export async function limited<T>(res: Response, check: Promise<T>): Promise<T> {
  try {
    return await check;
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
  summary:
    'Log in with a user name and password (and the 2FA code, for a user with two-factor login); sets the session cookie.',
  tag: 'session',
  access: 'public',
  errors: [401, 415, 429],
  body: z.object({
    name: z.string().min(1).max(100),
    password: z.string().min(1).max(1000),
    code: z
      .string()
      .max(40)
      .optional()
      .describe('The 6-digit TOTP code or a recovery code; needed when the user has 2FA on.'),
  }),
  response: SessionInfoSchema,
  async handle({ body, deps, req, res }) {
    if (!deps.passwordLogin) throw new PasswordLoginDisabledError();
    const address = clientAddress(req);
    const attempt = await limited(res, deps.loginLimiter.begin(body.name, address));
    const user = await deps.issuer.users.authenticate(body.name, body.password);
    if (!user) {
      await attempt.failed();
      await auditSessionEvent(deps, body.name, 'session.login-failed', { ip: req.ip ?? null });
      throw new LoginFailedError();
    }
    const second = await secondFactor(deps, req, user, body.code, attempt);
    await attempt.succeeded();
    const changePassword = user.passwordOneTime === true;
    const session = await deps.sessions.start(req, res, user, {
      enrolTwoFactor: second.enrolTwoFactor,
      changePassword,
    });
    await auditSessionEvent(deps, user.name, 'session.login', {
      ip: req.ip ?? null,
      secondFactor: second.method,
      ...(second.enrolTwoFactor ? { enrolTwoFactor: true } : {}),
      ...(changePassword ? { oneTimePassword: true } : {}),
    });
    return sessionInfo(deps, session);
  },
});

export class PasswordLoginDisabledError extends PortalError {
  constructor() {
    super(
      'ERR_PASSWORD_LOGIN_DISABLED',
      'Password login is turned off on this portal: sign in with single sign-on.',
    );
  }
}

export const authMethods = defineRoute({
  method: 'get',
  path: '/auth/methods',
  operationId: 'getAuthMethods',
  summary: 'How users log in here: passwords (on or off) and single sign-on (if set up).',
  tag: 'session',
  access: 'public',
  response: z.object({
    password: z.boolean(),
    sso: z
      .object({
        name: z.string(),
        startUrl: z.string().describe('Send the browser here (a page navigation) to sign in.'),
      })
      .nullable(),
  }),
  handle({ deps }) {
    return {
      password: deps.passwordLogin,
      sso: deps.sso === null ? null : { name: deps.sso.name, startUrl: '/api/v1/auth/oidc/start' },
    };
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
  duringEnrolment: true,
  duringPasswordChange: true,
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
    'Change your own password (also how a one-time password is replaced). Ends all your sessions and starts a new one (a new CSRF token).',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  duringEnrolment: true,
  duringPasswordChange: true,
  errors: [403, 422, 429],
  body: z.object({
    currentPassword: z.string().min(1).max(1000),
    newPassword: NewPasswordSchema,
  }),
  response: SessionInfoSchema,
  async handle({ body, deps, session, req, res }) {
    if (!deps.passwordLogin) throw new PasswordLoginDisabledError();
    const { userName } = session!;
    const address = clientAddress(req);
    const attempt = await limited(res, deps.loginLimiter.begin(userName, address));
    const user = await deps.issuer.users.authenticate(userName, body.currentPassword);
    if (!user) {
      await attempt.failed();
      await auditSessionEvent(deps, userName, 'session.password-failed', { ip: req.ip ?? null });
      throw new PasswordWrongError();
    }
    await attempt.succeeded();
    if (body.newPassword === body.currentPassword) throw new PasswordUnchangedError();
    // The user's own password: a one-time mark is cleared.
    await deps.issuer.users.setPassword(userName, body.newPassword, userName);
    await deps.sessionStore.deleteForUser(user.id);
    const enrolTwoFactor = session!.enrolTwoFactor === true;
    return sessionInfo(deps, await deps.sessions.start(req, res, user, { enrolTwoFactor }));
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
  duringEnrolment: true,
  duringPasswordChange: true,
  response: z.object({ ok: z.literal(true) }),
  async handle({ deps, session, req, res }) {
    await deps.sessions.end(req, res);
    await auditSessionEvent(deps, session!.userName, 'session.logout', {});
    return { ok: true as const };
  },
});
