// Two-factor login for the logged-in user (status, enrol, confirm, new recovery codes, turn off)
// and for admins (the policy, a reset for a user who lost the device). Wrong codes here count
// toward the same failure limit as logins: a stolen session cannot guess its way to turning
// 2FA off. Confirming starts a new session (the enrolment-only session, if any, ends).
import { z } from 'zod';
import {
  TwoFactorCodeUsedError,
  TwoFactorCodeWrongError,
  TwoFactorStateError,
} from '../../auth/two-factor.js';
import { NotFoundError } from '../../http/portal-errors.js';
import type { Session } from '../../session/session-store.js';
import type { ApiDeps } from '../deps.js';
import { auditPortalEvent, auditSessionEvent } from '../deps.js';
import { defineRoute } from '../route.js';
import { SessionInfoSchema } from '../schemas/answers.js';
import { clientAddress, limited, sessionInfo } from './auth.js';

const PolicySchema = z
  .enum(['optional', 'admins', 'everyone'])
  .describe('Who must have a second factor: nobody, admins, or everyone.');

const StatusSchema = z.object({
  enabled: z.boolean(),
  pending: z.boolean().describe('An enrolment was started and not yet confirmed.'),
  enabledAt: z.number().int().nullable(),
  recoveryCodesLeft: z.number().int(),
  policy: PolicySchema,
  required: z.boolean().describe('The policy requires a second factor of you.'),
  secretsSealed: z
    .boolean()
    .describe('TOTP secrets are encrypted at rest (the portal has LICENSOR_2FA_KEY).'),
});

const CodeBody = z.object({
  code: z.string().min(1).max(40).describe('A 6-digit TOTP code or a recovery code.'),
});

const RecoveryCodes = z
  .array(z.string())
  .describe('Shown once: each signs in once in place of a TOTP code. Only hashes are kept.');

/**
 * Runs a code check of the logged-in user under the login limit (the attempt counts before the
 * code is judged); a wrong code stays counted, a right one clears the client's failures. The
 * 2FA state the route needs (`state`) is checked first, so a 409 holds no attempt.
 */
async function withCode<T>(
  deps: ApiDeps,
  session: Session,
  req: Parameters<typeof clientAddress>[0],
  res: Parameters<typeof limited>[0],
  state: 'pending' | 'enabled',
  check: () => Promise<T>,
): Promise<T> {
  await deps.twoFactor.requireState(session.userId, state);
  const address = clientAddress(req);
  const attempt = await limited(res, deps.loginLimiter.begin(session.userName, address));
  try {
    const result = await check();
    await attempt.succeeded();
    return result;
  } catch (error) {
    if (error instanceof TwoFactorCodeWrongError || error instanceof TwoFactorCodeUsedError) {
      await attempt.failed();
      await auditSessionEvent(deps, session.userName, 'session.2fa-failed', {
        ip: req.ip ?? null,
        reason: error.code,
      });
    }
    throw error;
  }
}

export const twoFactorStatus = defineRoute({
  method: 'get',
  path: '/auth/2fa',
  operationId: 'getTwoFactor',
  summary: 'Your two-factor login: on or off, recovery codes left, and the policy.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  duringEnrolment: true,
  response: StatusSchema,
  async handle({ deps, session }) {
    const status = await deps.twoFactor.status({ id: session!.userId, role: session!.role });
    return { ...status, secretsSealed: deps.twoFactor.sealsSecrets };
  },
});

export const enrolTwoFactor = defineRoute({
  method: 'post',
  path: '/auth/2fa/enrol',
  operationId: 'enrolTwoFactor',
  summary:
    'Start (or restart) enrolment: a new TOTP secret as a QR code and an otpauth URI. Not in force until confirmed.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  duringEnrolment: true,
  errors: [409],
  response: z.object({
    secret: z.string().describe('Base32, for typing into an app that cannot scan.'),
    otpauthUri: z.string(),
    qrCode: z.string().describe('The otpauth URI as a PNG QR code (a data: URL).'),
  }),
  async handle({ deps, session }) {
    return deps.twoFactor.begin({ id: session!.userId, name: session!.userName });
  },
});

export const confirmTwoFactor = defineRoute({
  method: 'post',
  path: '/auth/2fa/confirm',
  operationId: 'confirmTwoFactor',
  summary:
    'Turn two-factor login on with the first code from the app; answers the recovery codes (shown once) and a new session.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  duringEnrolment: true,
  errors: [401, 409, 429],
  body: CodeBody,
  response: z.object({ session: SessionInfoSchema, recoveryCodes: RecoveryCodes }),
  async handle({ body, deps, session, req, res }) {
    const s = session!;
    const recoveryCodes = await withCode(deps, s, req, res, 'pending', () =>
      deps.twoFactor.confirm(s.userId, body.code),
    );
    await auditPortalEvent(deps, s.userName, '2fa.enable', s.userId, { name: s.userName });
    const user = { id: s.userId, name: s.userName, role: s.role };
    const next = await deps.sessions.start(req, res, user);
    return { session: sessionInfo(deps, next), recoveryCodes };
  },
});

export const regenerateRecoveryCodes = defineRoute({
  method: 'post',
  path: '/auth/2fa/recovery-codes',
  operationId: 'regenerateRecoveryCodes',
  summary: 'New recovery codes (shown once) after a code; the old ones stop working.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  errors: [401, 409, 429],
  body: CodeBody,
  response: z.object({ recoveryCodes: RecoveryCodes }),
  async handle({ body, deps, session, req, res }) {
    const s = session!;
    const recoveryCodes = await withCode(deps, s, req, res, 'enabled', () =>
      deps.twoFactor.regenerateRecoveryCodes(s.userId, body.code),
    );
    await auditPortalEvent(deps, s.userName, '2fa.recovery-codes', s.userId, { name: s.userName });
    return { recoveryCodes };
  },
});

export const disableTwoFactor = defineRoute({
  method: 'post',
  path: '/auth/2fa/disable',
  operationId: 'disableTwoFactor',
  summary:
    'Turn your two-factor login off (a TOTP or recovery code required). Refused while the policy requires it of you.',
  tag: 'session',
  access: 'viewer',
  sessionOnly: true,
  errors: [401, 409, 429],
  body: CodeBody,
  response: z.object({ ok: z.literal(true) }),
  async handle({ body, deps, session, req, res }) {
    const s = session!;
    const status = await deps.twoFactor.status({ id: s.userId, role: s.role });
    if (status.enabled && status.required) {
      throw new TwoFactorStateError(
        'ERR_2FA_REQUIRED_BY_POLICY',
        'The two-factor policy requires a second factor of you, so it cannot be turned off. Ask an administrator.',
      );
    }
    await withCode(deps, s, req, res, 'enabled', () => deps.twoFactor.disable(s.userId, body.code));
    await auditPortalEvent(deps, s.userName, '2fa.disable', s.userId, { name: s.userName });
    return { ok: true as const };
  },
});

export const setTwoFactorPolicy = defineRoute({
  method: 'put',
  path: '/auth/2fa/policy',
  operationId: 'setTwoFactorPolicy',
  summary:
    'Require two-factor login of nobody, admins or everyone. Sessions of users it now requires it of, who have none, end: they enrol at their next login.',
  tag: 'users',
  access: 'admin',
  sessionOnly: true,
  errors: [409],
  body: z.object({ policy: PolicySchema }),
  response: z.object({ policy: PolicySchema, usersLoggedOut: z.number().int() }),
  async handle({ body, deps, session }) {
    const s = session!;
    if (body.policy !== 'optional' && !(await deps.twoFactor.isEnabled(s.userId))) {
      throw new TwoFactorStateError(
        'ERR_2FA_NOT_ENABLED',
        'Turn on two-factor login for your own account first (Account page), so requiring it cannot lock you out.',
      );
    }
    const before = await deps.twoFactor.policy();
    await deps.twoFactor.setPolicy(body.policy, s.userName);
    const enabled = new Set(await deps.twoFactor.listEnabled());
    let usersLoggedOut = 0;
    for (const user of await deps.issuer.users.list()) {
      if (user.disabled || enabled.has(user.id)) continue;
      if (body.policy === 'everyone' || (body.policy === 'admins' && user.role === 'admin')) {
        await deps.sessionStore.deleteForUser(user.id);
        usersLoggedOut += 1;
      }
    }
    await auditPortalEvent(deps, s.userName, '2fa.policy', null, {
      from: before,
      to: body.policy,
    });
    return { policy: body.policy, usersLoggedOut };
  },
});

export const resetTwoFactor = defineRoute({
  method: 'post',
  path: '/users/:name/2fa/reset',
  operationId: 'resetTwoFactor',
  summary:
    'Turn off a user’s two-factor login (they lost the device and the recovery codes); their sessions end.',
  tag: 'users',
  access: 'admin',
  sessionOnly: true,
  errors: [404, 409],
  params: z.object({ name: z.string().min(1).max(64) }),
  response: z.object({ ok: z.literal(true) }),
  async handle({ params, deps, session }) {
    // Names match without regard to case, as everywhere else (PATCH /users/IVAN is ivan).
    const asked = params.name.toLowerCase();
    const user = (await deps.issuer.users.list()).find((u) => u.name.toLowerCase() === asked);
    if (user === undefined) throw new NotFoundError(`The user "${params.name}"`);
    if (!(await deps.twoFactor.reset(user.id))) {
      throw new TwoFactorStateError(
        'ERR_2FA_NOT_ENABLED',
        `${user.name} has no two-factor login to reset.`,
      );
    }
    await deps.sessionStore.deleteForUser(user.id);
    await auditPortalEvent(deps, session!.userName, '2fa.reset', user.id, { name: user.name });
    return { ok: true as const };
  },
});
