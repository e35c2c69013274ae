// What the API routes are given: the Issuer (the one domain object they drive), the session
// machinery, the clock and the logger. Nothing else reaches the routes.
import type { Issuer } from '@licensor/issuer';
import { newId } from '@licensor/token';
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { LoginLimiter } from '../auth/login-limit.js';
import type { TwoFactor } from '../auth/two-factor.js';
import type { SessionManager } from '../session/session-manager.js';
import type { SessionStore } from '../session/session-store.js';
import type { UrlRules } from '../webhooks/url-rules.js';

export interface ApiDeps {
  issuer: Issuer;
  sessions: SessionManager;
  sessionStore: SessionStore;
  /** Failed logins, password changes and 2FA codes, counted in the shared store. */
  loginLimiter: LoginLimiter;
  /** TOTP enrolments, recovery codes and the 2FA policy. */
  twoFactor: TwoFactor;
  /** False: password login is turned off (single sign-on only). */
  passwordLogin: boolean;
  /** The login page's single sign-on button, when SSO is set up. */
  sso: { name: string } | null;
  /** The SSRF rules for webhook URLs, with the portal's own host as this request names it. */
  webhookRules(req: Request): UrlRules;
  /** Milliseconds since the epoch. */
  now: () => number;
  logger: Logger;
}

/**
 * Session events (login, failed login, logout) are not domain changes, so the Issuer has no
 * operation for them; they go to the same append-only audit log through its store.
 */
export async function auditSessionEvent(
  deps: ApiDeps,
  actor: string,
  action:
    | 'session.login'
    | 'session.login-failed'
    | 'session.logout'
    | 'session.password-failed'
    | 'session.2fa-failed',
  details: Record<string, unknown>,
): Promise<void> {
  await auditPortalEvent(deps, actor, action, null, details);
}

/** An audit event for what the portal keeps itself (sessions, API tokens, webhooks, 2FA). */
export async function auditPortalEvent(
  deps: Pick<ApiDeps, 'issuer' | 'now'>,
  actor: string,
  action: string,
  subjectId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await deps.issuer.store.appendAuditEvent({
    id: newId('evt'),
    at: deps.now(),
    actor,
    action,
    subjectId,
    transactionId: null,
    details,
  });
}

/** Drops undefined members, for options typed with exactOptionalPropertyTypes. */
export function definedOnly<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = member;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
