// Who is logged in. The session itself is an HTTP-only cookie the SPA never sees; what the
// SPA keeps is the user, the role (to hide what the server would refuse) and the CSRF token.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { api, onSessionLost, setCsrfToken } from './api';
import type { Role, SessionInfo } from './types';

interface SessionState {
  status: 'checking' | 'anonymous' | 'active';
  info: SessionInfo | null;
  /** Set when the server ended the session (timeout), to tell the user why they see the login. */
  lostReason: string | null;
  loggedIn: (info: SessionInfo) => void;
  logout: () => Promise<void>;
  can: (role: Role) => boolean;
}

const SessionContext = createContext<SessionState | null>(null);
const RANK: Record<Role, number> = { viewer: 0, issuer: 1, admin: 2 };

export function SessionProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<SessionInfo | null>(null);
  const [status, setStatus] = useState<SessionState['status']>('checking');
  const [lostReason, setLostReason] = useState<string | null>(null);

  useEffect(() => {
    api.get<SessionInfo>('/auth/session').then(
      (current) => {
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
    setCsrfToken(next.csrfToken);
    setInfo(next);
    setLostReason(null);
    setStatus('active');
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post('/auth/logout');
    } finally {
      setCsrfToken(null);
      setInfo(null);
      setStatus('anonymous');
    }
  }, []);

  const can = useCallback(
    (role: Role) => (info ? RANK[info.user.role] >= RANK[role] : false),
    [info],
  );

  return (
    <SessionContext.Provider value={{ status, info, lostReason, loggedIn, logout, can }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
