// Server-side sessions. The cookie carries only a random id; everything the server trusts
// (who, which role, the CSRF token, the timestamps behind the timeouts) stays here.
// The default store is the issuer's shared store (`StoreSessionStore`: SQLite or MongoDB), so
// several portal processes behind one load balancer serve one user and a restart logs no one
// out. `MemorySessionStore` is for tests and single-process embedding.
import { createHash } from 'node:crypto';
import type { AutomationStore } from '@licensor/issuer';
import type { Role } from '../roles.js';

export interface Session {
  /** 32 random bytes, base64url: the cookie value. */
  readonly id: string;
  /** Synchronizer token the SPA sends back in `X-CSRF-Token` on every state change. */
  readonly csrfToken: string;
  readonly userId: string;
  readonly userName: string;
  readonly role: Role;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  lastSeenAt: number;
  /**
   * A password login of a user the 2FA policy requires a second factor of, who has none yet:
   * only the session, logout and 2FA enrolment routes answer until they enrol.
   */
  readonly enrolTwoFactor?: boolean;
  /**
   * The user logged in with a one-time password (set by an admin or generated): only the
   * session, logout and the password change answer until they choose their own.
   */
  readonly changePassword?: boolean;
  /** Set when the request was authenticated by an API token (then there is no cookie session). */
  readonly tokenId?: string;
}

export interface SessionStore {
  get(id: string): Promise<Session | undefined>;
  set(session: Session): Promise<void>;
  /** Moves the session's last activity forward (the idle timer restarts). */
  touch(id: string, at: number): Promise<void>;
  delete(id: string): Promise<void>;
  /** Every session of one user, e.g. to log them out everywhere when their account changes. */
  deleteForUser(userId: string): Promise<void>;
  /** Drops sessions idle since `idleBefore` or made before `createdBefore`. */
  sweep(idleBefore: number, createdBefore: number): Promise<void>;
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();

  async get(id: string): Promise<Session | undefined> {
    const session = this.#sessions.get(id);
    return session === undefined ? undefined : { ...session };
  }

  async set(session: Session): Promise<void> {
    this.#sessions.set(session.id, { ...session });
  }

  async touch(id: string, at: number): Promise<void> {
    const session = this.#sessions.get(id);
    if (session !== undefined && session.lastSeenAt < at) session.lastSeenAt = at;
  }

  async delete(id: string): Promise<void> {
    this.#sessions.delete(id);
  }

  async deleteForUser(userId: string): Promise<void> {
    for (const [id, session] of this.#sessions) {
      if (session.userId === userId) this.#sessions.delete(id);
    }
  }

  async sweep(idleBefore: number, createdBefore: number): Promise<void> {
    for (const [id, session] of this.#sessions) {
      if (session.lastSeenAt <= idleBefore || session.createdAt <= createdBefore) {
        this.#sessions.delete(id);
      }
    }
  }

  get size(): number {
    return this.#sessions.size;
  }
}

/**
 * Sessions in the issuer's store, keyed by the SHA-256 of the cookie value: a copy of the
 * store (a backup, a read replica) holds no session anyone can use.
 */
export class StoreSessionStore implements SessionStore {
  constructor(private readonly store: AutomationStore) {}

  async get(id: string): Promise<Session | undefined> {
    const record = await this.store.getSession(hashId(id));
    if (record === null) return undefined;
    const { idHash: _hash, ...rest } = record;
    return { id, ...rest };
  }

  async set(session: Session): Promise<void> {
    const { id, tokenId: _token, ...rest } = session;
    await this.store.putSession({ idHash: hashId(id), ...rest });
  }

  touch(id: string, at: number): Promise<void> {
    return this.store.touchSession(hashId(id), at);
  }

  delete(id: string): Promise<void> {
    return this.store.deleteSession(hashId(id));
  }

  deleteForUser(userId: string): Promise<void> {
    return this.store.deleteSessionsOfUser(userId);
  }

  async sweep(idleBefore: number, createdBefore: number): Promise<void> {
    await this.store.sweepSessions(idleBefore, createdBefore);
  }
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
