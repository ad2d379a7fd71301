import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import type { Role } from './api';
import { homeOf } from './home';
import { Layout } from './layout';
import { AccountPage } from './pages/account';
import { AdminKeysPage, OperatorsPage, SandboxPage } from './pages/admin-misc';
import { ClientDetailPage, ClientsPage } from './pages/admin-clients';
import { PoliciesPage, PolicyClientsPage } from './pages/admin-policies';
import { UsersPage } from './pages/admin-users';
import { AuditEventPage, AuditSearchPage } from './pages/audit-search';
import { IntegrityPage, ReportPage, RetentionPage } from './pages/audit-integrity';
import { ClientCallsPage, ClientHomePage, ClientUsagePage } from './pages/client';
import { InvitePage, SignInPage } from './pages/sign-in';
import { SessionProvider, useSession } from './session';
import { Loading } from './ui';
import './styles.css';

/** Pages of a role: the server answers 403 to the others (this only avoids a useless round-trip). */
function Guarded({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { session, loading } = useSession();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!session)
    return (
      <Navigate
        to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`}
        replace
      />
    );
  if (!roles.includes(session.user.role)) return <Forbidden />;
  return <Layout>{children}</Layout>;
}

function Forbidden() {
  return (
    <main id="main">
      <h1>403 — Not allowed</h1>
      <p>Your role does not allow this page.</p>
      <p>
        <a href="/console/">Back to the console</a>
      </p>
    </main>
  );
}

function Home() {
  const { session, loading } = useSession();
  if (loading) return <Loading />;
  return <Navigate to={session ? homeOf(session.user.role) : '/sign-in'} replace />;
}

const ADMIN: Role[] = ['admin'];
const AUDIT: Role[] = ['auditor', 'admin'];
const CLIENT: Role[] = ['client'];
const ANY: Role[] = ['admin', 'auditor', 'client'];

function App() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/invite" element={<InvitePage />} />
      <Route
        path="/account"
        element={
          <Guarded roles={ANY}>
            <AccountPage />
          </Guarded>
        }
      />
      <Route
        path="/client"
        element={
          <Guarded roles={CLIENT}>
            <ClientHomePage />
          </Guarded>
        }
      />
      <Route
        path="/client/usage"
        element={
          <Guarded roles={CLIENT}>
            <ClientUsagePage />
          </Guarded>
        }
      />
      <Route
        path="/client/calls"
        element={
          <Guarded roles={CLIENT}>
            <ClientCallsPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/clients"
        element={
          <Guarded roles={ADMIN}>
            <ClientsPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/clients/:clientId"
        element={
          <Guarded roles={ADMIN}>
            <ClientDetailPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/policies"
        element={
          <Guarded roles={ADMIN}>
            <PolicyClientsPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/clients/:clientId/policies"
        element={
          <Guarded roles={ADMIN}>
            <PoliciesPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/users"
        element={
          <Guarded roles={ADMIN}>
            <UsersPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/operators"
        element={
          <Guarded roles={ADMIN}>
            <OperatorsPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/keys"
        element={
          <Guarded roles={ADMIN}>
            <AdminKeysPage />
          </Guarded>
        }
      />
      <Route
        path="/admin/sandbox"
        element={
          <Guarded roles={ADMIN}>
            <SandboxPage />
          </Guarded>
        }
      />
      <Route
        path="/audit/events"
        element={
          <Guarded roles={AUDIT}>
            <AuditSearchPage />
          </Guarded>
        }
      />
      <Route
        path="/audit/events/:eventId"
        element={
          <Guarded roles={AUDIT}>
            <AuditEventPage />
          </Guarded>
        }
      />
      <Route
        path="/audit/report"
        element={
          <Guarded roles={AUDIT}>
            <ReportPage />
          </Guarded>
        }
      />
      <Route
        path="/audit/integrity"
        element={
          <Guarded roles={AUDIT}>
            <IntegrityPage />
          </Guarded>
        }
      />
      <Route
        path="/audit/retention"
        element={
          <Guarded roles={AUDIT}>
            <RetentionPage />
          </Guarded>
        }
      />
      <Route
        path="*"
        element={
          <main id="main">
            <h1>Page not found</h1>
            <p>
              <a href="/console/">Back to the console</a>
            </p>
          </main>
        }
      />
    </Routes>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter basename="/console">
      <SessionProvider>
        <App />
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);
