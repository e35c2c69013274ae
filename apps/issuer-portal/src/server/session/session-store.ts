// Server-side sessions. The cookie carries only a random id; everything the server trusts
// (who, which role, the CSRF token, the timestamps behind the timeouts) stays here.
// The default store is in memory: a restart logs everyone out, and several portal processes
// behind one load balancer would need sticky sessions or a shared store behind this interface.
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
  /** Set when the request was authenticated by an API token (then there is no cookie session). */
  readonly tokenId?: string;
}

export interface SessionStore {
  get(id: string): Session | undefined;
  set(session: Session): void;
  delete(id: string): void;
  /** Every session of one user, e.g. to log them out everywhere when their account changes. */
  deleteForUser(userId: string): void;
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  set(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  deleteForUser(userId: string): void {
    for (const [id, session] of this.#sessions) {
      if (session.userId === userId) this.#sessions.delete(id);
    }
  }

  /** Drops sessions whose timeouts have passed, so memory does not grow with abandoned logins. */
  sweep(isExpired: (session: Session) => boolean): void {
    for (const [id, session] of this.#sessions) {
      if (isExpired(session)) this.#sessions.delete(id);
    }
  }

  get size(): number {
    return this.#sessions.size;
  }
}
