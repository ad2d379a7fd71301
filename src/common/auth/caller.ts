export const CLIENT_PRODUCTS = [
  'VERIFY',
  'VERIFY_MASKED',
  'SIM_SWAP',
  'DEVICE_SWAP',
  'TRUST',
  'SHIELD',
  'DETECT',
] as const;
export type ClientProduct = (typeof CLIENT_PRODUCTS)[number];

export type ClientEnvironment = 'SANDBOX' | 'LIVE';

export type CredentialKind = 'api_key' | 'sdk_token' | 'client_secret' | 'jwt_key' | 'admin_key';

/** The credential that authenticated a request: never the secret, only what identifies it. */
export interface CredentialRef {
  /** `console_session`: a console user's signed-in browser (never stored as a credential). */
  kind: CredentialKind | 'console_session';
  /** Database id of the credential row (for the JWT key: its kid). */
  id: string;
  /** Short public fingerprint, safe to log and audit. */
  fingerprint: string;
}

export interface AuthenticatedClient {
  kind: 'client';
  /** Public client id (`cli_…`). */
  clientId: string;
  environment: ClientEnvironment;
  products: ClientProduct[];
  credential: CredentialRef;
}

export interface AuthenticatedAdmin {
  kind: 'admin';
  role: 'admin' | 'auditor';
  credential: CredentialRef;
}

export type ConsoleRole = 'admin' | 'auditor' | 'client';

/** A person signed in to the web console (server-side session cookie + CSRF token). */
export interface AuthenticatedConsoleUser {
  kind: 'console_user';
  userId: string;
  email: string;
  role: ConsoleRole;
  /** The clients a client user acts for (one per environment); empty for admins and auditors. */
  clientIds: string[];
  /** The session, as audit events show it: `id` is the session id, never its token. */
  credential: CredentialRef;
  /** When the session ends at the latest (absolute timeout). */
  sessionExpiresAt: string;
}

export type Caller = AuthenticatedClient | AuthenticatedAdmin | AuthenticatedConsoleUser;
