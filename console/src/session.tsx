import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { api, ApiFailure, setCsrfToken, setUnauthenticatedHandler, type Session } from './api';

interface SessionState {
  session: Session | null;
  loading: boolean;
  /** The client a client user is looking at (sandbox or live). */
  clientId: string | null;
  setClientId: (clientId: string) => void;
  refresh: () => Promise<void>;
  signedIn: (session: Session) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [loading, setLoading] = useState(true);
  const [clientId, setClientIdState] = useState<string | null>(null);

  const apply = useCallback((next: Session | null) => {
    setSession(next);
    setCsrfToken(next?.csrfToken ?? null);
    setClientIdState((current) => {
      const clients = next?.user.clients ?? [];
      if (current && clients.some((client) => client.clientId === current)) return current;
      return (
        clients.find((client) => client.environment === 'SANDBOX')?.clientId ??
        clients[0]?.clientId ??
        null
      );
    });
  }, []);

  const refresh = useCallback(async () => {
    try {
      apply(await api.get<Session>('/session'));
    } catch (error) {
      if (!(error instanceof ApiFailure && error.status === 401)) throw error;
      apply(null);
    } finally {
      setLoading(false);
    }
  }, [apply]);

  useEffect(() => {
    setUnauthenticatedHandler(() => apply(null));
    void refresh();
    return () => setUnauthenticatedHandler(null);
  }, [apply, refresh]);

  const value = useMemo<SessionState>(
    () => ({
      session,
      loading,
      clientId,
      setClientId: setClientIdState,
      refresh,
      signedIn: apply,
      signOut: async () => {
        try {
          await api.delete('/session');
        } finally {
          apply(null);
        }
      },
    }),
    [session, loading, clientId, refresh, apply],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
