// A very small history-API router: the portal has a dozen pages and no nested layouts, so a
// dependency would add more than it saves. Links are real <a href> elements (middle-click,
// copy link and keyboard focus work); plain left clicks are handled in-page. A page with
// something it must not lose (recovery codes shown once) holds the user with useLeaveGuard.
import {
  type AnchorHTMLAttributes,
  createContext,
  type MouseEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
} from 'react';

interface RouterState {
  path: string;
  search: URLSearchParams;
  navigate: (to: string, options?: { replace?: boolean }) => void;
}

const RouterContext = createContext<RouterState | null>(null);

function current(): { path: string; search: URLSearchParams } {
  return { path: window.location.pathname, search: new URLSearchParams(window.location.search) };
}

/** The pages holding the user now, each with what to ask before leaving. */
const leaveGuards = new Set<{ message: string }>();

/** True when nothing holds the user, or they confirmed leaving. */
function mayLeave(): boolean {
  const [guard] = leaveGuards;
  return guard === undefined || window.confirm(guard.message);
}

/**
 * While `message` is set, leaving the page asks first: a link or navigate() (`message` in a
 * confirm; staying is the default), Back and Forward (the address is put back when the user
 * stays), and a reload or a closed tab (the browser's own question).
 */
export function useLeaveGuard(message: string | null): void {
  useEffect(() => {
    if (message === null) return;
    const guard = { message };
    leaveGuards.add(guard);
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      leaveGuards.delete(guard);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [message]);
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(current);
  // The address the page shows, to put back when Back is refused by a leave guard.
  const shown = useRef(window.location.href);
  useEffect(() => {
    const onPop = () => {
      if (!mayLeave()) {
        window.history.pushState(null, '', shown.current);
        return;
      }
      shown.current = window.location.href;
      setLocation(current());
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, options?: { replace?: boolean }) => {
    if (!mayLeave()) return;
    if (options?.replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    shown.current = window.location.href;
    setLocation(current());
    window.scrollTo(0, 0);
  }, []);
  return (
    <RouterContext.Provider value={{ ...location, navigate }}>{children}</RouterContext.Provider>
  );
}

export function useRouter(): RouterState {
  const state = useContext(RouterContext);
  if (!state) throw new Error('useRouter outside RouterProvider');
  return state;
}

/** Matches `/licenses/:id` against a path; returns the params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const part = a[i] as string;
    const value = b[i] as string;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(value);
    else if (part !== value) return null;
  }
  return params;
}

export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const { navigate } = useRouter();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
