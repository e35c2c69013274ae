// A session keeps the role its user had at login; the user can change outside the portal's user
// routes (which end the user's sessions themselves): `licensor-issuer users set-role | disable
// | reset-2fa | set-password`, or an SSO login whose groups now give a lower role. The session manager reads the
// user again (at most every USER_RECHECK_MS per session) with this check.
import { type Issuer, UserNotFoundError } from '@licensor/issuer';
import { roleAllows } from '../roles.js';
import type { UserCheck } from './session-manager.js';

/** Audit actions on a user that end the sessions begun before them. */
const ENDING_ACTIONS = ['2fa.reset', 'user.password'] as const;

export function storeUserCheck(issuer: Issuer): UserCheck {
  return async (session) => {
    let user: Awaited<ReturnType<Issuer['users']['get']>>;
    try {
      user = await issuer.users.get(session.userName);
    } catch (error) {
      if (error instanceof UserNotFoundError) return { kind: 'end' };
      throw error;
    }
    if (user.id !== session.userId || user.disabled) return { kind: 'end' };
    // A higher role than at login: the session ends (the next login applies the 2FA policy to
    // it); a lower one is what the session holds from now on.
    if (!roleAllows(session.role, user.role)) return { kind: 'end' };
    // A 2FA reset or a password set after the login (`licensor-issuer users reset-2fa |
    // set-password`) ends the session, as the portal's own reset and change do: a stolen session
    // dies with the old password. Only a change strictly after the session began: the portal's
    // own change starts the changer's new session after its `user.password` event (ending the
    // others itself), and that session stays.
    for (const action of ENDING_ACTIONS) {
      const events = await issuer.store.listAuditEvents({
        subjectId: user.id,
        action,
        since: session.createdAt + 1,
        limit: 1,
      });
      if (events.length > 0) return { kind: 'end' };
    }
    return { kind: 'keep', role: user.role };
  };
}
