// Who is logged in. The session itself is an HTTP-only cookie the SPA never sees; what the
// SPA keeps is the user, the role (to hide what the server would refuse) and the CSRF token.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { type ApiError, api, onSessionLost, setCsrfToken } from './api';
import { clearDrafts } from './drafts';
import type { Role, SessionInfo } from './types';

interface SessionState {
  status: 'checking' | 'anonymous' | 'active';
  info: SessionInfo | null;
  /** Set when the server ended the session (timeout), to tell the user why they see the login. */
  lostReason: string | null;
  loggedIn: (info: SessionInfo) => void;
  /**
   * Ends the session. The login page is shown only once the server has ended it; a refusal
   * (after one retry with a fresh CSRF token) is kept in `logoutError` and the user stays in.
   */
  logout: () => Promise<void>;
  logoutError: ApiError | null;
  loggingOut: boolean;
  can: (role: Role) => boolean;
}

const SessionContext = createContext<SessionState | null>(null);
const RANK: Record<Role, number> = { viewer: 0, issuer: 1, admin: 2 };

export function SessionProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<SessionInfo | null>(null);
  const [status, setStatus] = useState<SessionState['status']>('checking');
  const [lostReason, setLostReason] = useState<string | null>(null);
  const [logoutError, setLogoutError] = useState<ApiError | null>(null);
  const [loggingOut, setLoggingOut] = useState(false);

  useEffect(() => {
    api.get<SessionInfo>('/auth/session').then(
      (current) => {
        clearDrafts(current.user.id);
        setCsrfToken(current.csrfToken);
        setInfo(current);
        setStatus('active');
      },
      () => setStatus('anonymous'),
    );
    return onSessionLost(() => {
      setCsrfToken(null);
      setInfo(null);
      setStatus('anonymous');
      setLostReason('Your session has ended. Log in again to continue.');
    });
  }, []);

  const loggedIn = useCallback((next: SessionInfo) => {
    // What the last user of this tab typed is theirs: only the same user gets it back.
    clearDrafts(next.user.id);
    setCsrfToken(next.csrfToken);
    setInfo(next);
    setLostReason(null);
    setLogoutError(null);
    setStatus('active');
  }, []);

  const logout = useCallback(async () => {
    setLogoutError(null);
    setLoggingOut(true);
    try {
      await endSession();
      clearDrafts();
      setCsrfToken(null);
      setInfo(null);
      setStatus('anonymous');
    } catch (failure) {
      // The server did not end the session: it is still alive, and so is the page.
      setLogoutError(failure as ApiError);
    } finally {
      setLoggingOut(false);
    }
  }, []);

  const can = useCallback(
    (role: Role) => (info ? RANK[info.user.role] >= RANK[role] : false),
    [info],
  );

  return (
    <SessionContext.Provider
      value={{ status, info, lostReason, loggedIn, logout, logoutError, loggingOut, can }}
    >
      {children}
    </SessionContext.Provider>
  );
}

/**
 * POST /auth/logout; resolves once the session is over. A CSRF refusal means the page holds an
 * old token (a session the page did not take up): the current one is read from GET
 * /auth/session and the logout sent once more. A session already over counts as ended.
 */
async function endSession(): Promise<void> {
  const over = (error: ApiError) =>
    error.code === 'ERR_UNAUTHENTICATED' || error.code === 'ERR_SESSION_EXPIRED';
  try {
    await api.post('/auth/logout');
    return;
  } catch (failure) {
    const error = failure as ApiError;
    if (over(error)) return;
    if (error.code !== 'ERR_CSRF_INVALID') throw error;
  }
  try {
    const current = await api.get<SessionInfo>('/auth/session');
    setCsrfToken(current.csrfToken);
    await api.post('/auth/logout');
  } catch (failure) {
    if (over(failure as ApiError)) return;
    throw failure;
  }
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
