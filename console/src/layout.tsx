import type { ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router';
import type { Role } from './api';
import { useSession } from './session';

const NAV: Record<Role, [string, string][]> = {
  client: [
    ['/client', 'Keys & balance'],
    ['/client/usage', 'Usage'],
    ['/client/calls', 'Verifications'],
  ],
  admin: [
    ['/admin/clients', 'Clients'],
    ['/admin/policies', 'Policies'],
    ['/admin/users', 'Console users'],
    ['/admin/operators', 'Operators'],
    ['/admin/keys', 'Admin keys'],
    ['/admin/sandbox', 'Sandbox numbers'],
    ['/audit/events', 'Audit'],
    ['/audit/integrity', 'Integrity'],
  ],
  auditor: [
    ['/audit/events', 'Audit search'],
    ['/audit/report', 'Report'],
    ['/audit/integrity', 'Integrity'],
    ['/audit/retention', 'Retention'],
  ],
};

export function Layout({ children }: { children: ReactNode }) {
  const { session, clientId, setClientId, signOut } = useSession();
  const navigate = useNavigate();
  if (!session) return null;
  const { user } = session;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Mobile Identity Gateway · Console</span>
        <nav aria-label="Main">
          <ul>
            {NAV[user.role].map(([to, label]) => (
              <li key={to}>
                <NavLink to={to} end>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {user.role === 'client' && user.clients.length > 1 && (
            <label className="inline">
              Environment{' '}
              <select value={clientId ?? ''} onChange={(event) => setClientId(event.target.value)}>
                {user.clients.map((client) => (
                  <option key={client.clientId} value={client.clientId}>
                    {client.environment === 'LIVE' ? 'Live' : 'Sandbox'} — {client.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <NavLink to="/account">
            {user.email} ({user.role})
          </NavLink>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              void signOut().then(() => navigate('/sign-in'));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
