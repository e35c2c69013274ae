// Creates, finds and ends sessions, and owns the cookie. Ids are only ever made here, at
// login: an id the client sends that the store does not know is ignored, so a session id
// planted before login (session fixation) can never become a logged-in session.
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookie } from '../http/cookies.js';
import type { Role } from '../roles.js';
import type { Session, SessionStore } from './session-store.js';

export interface SessionTimeouts {
  /** Logged out after this long without a request. */
  idleMs: number;
  /** Logged out this long after login, however active. */
  absoluteMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = {
  idleMs: 30 * 60 * 1000,
  absoluteMs: 12 * 60 * 60 * 1000,
};

/** Over plain HTTP (development) the cookie cannot use the __Host- prefix, which needs Secure. */
export const COOKIE_NAME = 'licensor_portal_sid';
export const SECURE_COOKIE_NAME = '__Host-licensor_portal_sid';

export type SessionLookup =
  | { kind: 'none' }
  | { kind: 'expired' }
  /** Ended because its user changed outside the session (disabled, a higher role, 2FA reset). */
  | { kind: 'ended' }
  | { kind: 'active'; session: Session };

/**
 * The session's user as the store has it now: `end` (disabled, gone, 2FA reset since the login,
 * a higher role than the session's: they log in again) or the role to keep (lower or equal).
 */
export type UserCheck = (
  session: Session,
) => Promise<{ kind: 'end' } | { kind: 'keep'; role: Role }>;

/**
 * A session's user is read again at most this often per session and process: a change made
 * outside the portal's user routes (the CLI, an SSO login with fewer groups) reaches every open
 * session within this long.
 */
export const USER_RECHECK_MS = 5_000;

export interface SessionUser {
  id: string;
  name: string;
  role: Role;
}

export interface StartOptions {
  /** The 2FA policy requires a second factor this user has not set up: enrolment only. */
  enrolTwoFactor?: boolean;
  /** The user logged in with a one-time password: the password change only. */
  changePassword?: boolean;
}

/**
 * Last activity is written at most this often per session: each request need not write, and
 * the idle timeout is still kept to within this much.
 */
export const TOUCH_RESOLUTION_MS = 15_000;

export class SessionManager {
  readonly #store: SessionStore;
  readonly #timeouts: SessionTimeouts;
  readonly #now: () => number;
  readonly #checkUser: UserCheck | undefined;
  /** Per session id: when its user was last read, and the role then in force. */
  readonly #checked = new Map<string, { at: number; role: Role }>();

  constructor(
    store: SessionStore,
    timeouts: SessionTimeouts,
    now: () => number,
    checkUser?: UserCheck,
  ) {
    this.#store = store;
    this.#timeouts = timeouts;
    this.#now = now;
    this.#checkUser = checkUser;
  }

  isExpired(session: Session, at = this.#now()): boolean {
    return (
      at - session.lastSeenAt >= this.#timeouts.idleMs ||
      at - session.createdAt >= this.#timeouts.absoluteMs
    );
  }

  /** The session the request's cookie names, touched (idle timer restarted) when active. */
  async lookup(req: Request): Promise<SessionLookup> {
    const id = cookieId(req);
    if (!id) return { kind: 'none' };
    const stored = await this.#store.get(id);
    if (!stored) {
      this.#checked.delete(id);
      return { kind: 'none' };
    }
    const now = this.#now();
    if (this.isExpired(stored, now)) {
      this.#checked.delete(id);
      await this.#store.delete(id);
      return { kind: 'expired' };
    }
    const role = await this.#currentRole(stored, now);
    if (role === null) {
      this.#checked.delete(id);
      await this.#store.delete(id);
      return { kind: 'ended' };
    }
    if (now - stored.lastSeenAt >= TOUCH_RESOLUTION_MS) await this.#store.touch(id, now);
    const session: Session = role === stored.role ? stored : { ...stored, role };
    session.lastSeenAt = now;
    return { kind: 'active', session };
  }

  /** The role the session holds now (its user read again when due), or null: it ends. */
  async #currentRole(session: Session, now: number): Promise<Role | null> {
    if (this.#checkUser === undefined) return session.role;
    const last = this.#checked.get(session.id);
    if (last !== undefined && now - last.at < USER_RECHECK_MS && now >= last.at) return last.role;
    const found = await this.#checkUser(session);
    if (found.kind === 'end') return null;
    if (this.#checked.size >= 10_000) {
      for (const [key, entry] of this.#checked) {
        if (now - entry.at >= USER_RECHECK_MS) this.#checked.delete(key);
      }
    }
    this.#checked.set(session.id, { at: now, role: found.role });
    return found.role;
  }

  /** Ends expired sessions in the store (the CLI runs this every minute). */
  sweep(): Promise<void> {
    const now = this.#now();
    return this.#store.sweep(now - this.#timeouts.idleMs, now - this.#timeouts.absoluteMs);
  }

  /** Starts a fresh session for a user who just proved their password; any old one ends. */
  async start(
    req: Request,
    res: Response,
    user: SessionUser,
    options: StartOptions = {},
  ): Promise<Session> {
    const previous = cookieId(req);
    if (previous) await this.#store.delete(previous);
    const now = this.#now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      csrfToken: randomBytes(32).toString('base64url'),
      userId: user.id,
      userName: user.name,
      role: user.role,
      createdAt: now,
      lastSeenAt: now,
      ...(options.enrolTwoFactor ? { enrolTwoFactor: true } : {}),
      ...(options.changePassword ? { changePassword: true } : {}),
    };
    await this.#store.set(session);
    res.cookie(cookieName(req), session.id, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: this.#timeouts.absoluteMs,
    });
    return session;
  }

  async end(req: Request, res: Response): Promise<void> {
    const id = cookieId(req);
    if (id) await this.#store.delete(id);
    res.clearCookie(cookieName(req), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
    });
  }

  expiresAt(session: Session): { idle: number; absolute: number } {
    return {
      idle: session.lastSeenAt + this.#timeouts.idleMs,
      absolute: session.createdAt + this.#timeouts.absoluteMs,
    };
  }
}

function cookieName(req: Request): string {
  return req.secure ? SECURE_COOKIE_NAME : COOKIE_NAME;
}

function cookieId(req: Request): string | undefined {
  const header = req.get('cookie');
  const id = readCookie(header, cookieName(req));
  return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? id : undefined;
}
