// The shell: the login page until there is a session, then a sidebar of pages and the page
// the address names. Pages the user's role cannot use are not offered.
import { type ReactNode, useEffect, useState } from 'react';
import { TwoFactorCard } from './components/two-factor';
import { Brand, Empty, Loading } from './components/ui';
import { AccountPage } from './pages/account';
import { AuditPage } from './pages/audit';
import { CustomersPage } from './pages/customers';
import { DashboardPage } from './pages/dashboard';
import { IssuePage } from './pages/issue';
import { KeysPage } from './pages/keys';
import { LicensePage } from './pages/license';
import { LicensesPage } from './pages/licenses';
import { LoginPage } from './pages/login';
import { PlansPage } from './pages/plans';
import { RequestsPage } from './pages/requests';
import { UsersPage } from './pages/users';
import { Link, matchPath, useRouter } from './router';
import { useSession } from './session';
import type { Role } from './types';

interface NavItem {
  to: string;
  label: string;
  role: Role;
}

const NAV: NavItem[] = [
  { to: '/dashboard', label: 'Dashboard', role: 'viewer' },
  { to: '/issue', label: 'Issue a key', role: 'issuer' },
  { to: '/licenses', label: 'Licenses', role: 'viewer' },
  { to: '/requests', label: 'Requests', role: 'viewer' },
  { to: '/customers', label: 'Customers', role: 'viewer' },
  { to: '/plans', label: 'Products and plans', role: 'viewer' },
  { to: '/keys', label: 'Signing keys', role: 'viewer' },
  { to: '/users', label: 'Users', role: 'admin' },
  { to: '/audit', label: 'Audit log', role: 'viewer' },
];

function Page({ path }: { path: string }): ReactNode {
  if (path === '/' || path === '' || path === '/dashboard') return <DashboardPage />;
  if (path === '/issue') return <IssuePage />;
  if (path === '/licenses') return <LicensesPage />;
  const license = matchPath('/licenses/:licenseId', path);
  if (license) return <LicensePage licenseId={license.licenseId ?? ''} />;
  if (path === '/requests') return <RequestsPage />;
  if (path === '/customers') return <CustomersPage />;
  if (path === '/plans') return <PlansPage />;
  if (path === '/keys') return <KeysPage />;
  if (path === '/users') return <UsersPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/account') return <AccountPage />;
  return (
    <Empty title="There is no such page.">
      <Link to="/licenses">Go to the licenses</Link>
    </Empty>
  );
}

/** The 2FA policy requires a second factor this user has not set up: that comes first. */
function EnrolFirst() {
  const session = useSession();
  return (
    <div className="login-screen">
      <div className="login-card enrol-card">
        <h1 className="login-title">Set up two-factor login</h1>
        <p>
          An administrator requires two-factor login for your account. Set it up to use the portal.
        </p>
        <TwoFactorCard />
        <button type="button" className="btn btn-ghost btn-block" onClick={() => session.logout()}>
          Log out
        </button>
      </div>
    </div>
  );
}

export function App() {
  const session = useSession();
  const { path } = useRouter();
  // On a narrow screen the sidebar is a top bar whose Menu opens the pages; a page chosen closes it.
  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path is what closes the menu.
  useEffect(() => setMenuOpen(false), [path]);
  if (session.status === 'checking') {
    return (
      <div className="center-screen">
        <Loading label="Opening the portal…" />
      </div>
    );
  }
  if (session.status === 'anonymous' || !session.info) return <LoginPage />;
  if (session.info.twoFactorEnrolmentRequired) return <EnrolFirst />;
  const user = session.info.user;
  const current = path === '/' ? '/dashboard' : path;
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className={menuOpen ? 'sidebar sidebar-open' : 'sidebar'}>
        <div className="sidebar-top">
          <Brand />
          <button
            type="button"
            className="btn btn-ghost menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="sidebar-menu"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
        </div>
        <div className="sidebar-menu" id="sidebar-menu">
          <nav aria-label="Main">
            <ul className="nav">
              {NAV.filter((item) => session.can(item.role)).map((item) => (
                <li key={item.to}>
                  <Link
                    to={item.to}
                    className={current.startsWith(item.to) ? 'nav-link active' : 'nav-link'}
                    aria-current={current.startsWith(item.to) ? 'page' : undefined}
                  >
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="sidebar-footer">
            <div className="user">
              <span className="user-name">{user.name}</span>
              <span className="user-role">{user.role}</span>
            </div>
            <Link to="/account" className="btn btn-ghost btn-block">
              Change password
            </Link>
            <button
              type="button"
              className="btn btn-ghost btn-block"
              onClick={() => session.logout()}
            >
              Log out
            </button>
          </div>
        </div>
      </aside>
      <main id="main" className="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </div>
  );
}
