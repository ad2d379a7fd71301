export const CLIENT_PRODUCTS = ['VERIFY', 'VERIFY_MASKED', 'SIM_SWAP', 'DEVICE_SWAP', 'TRUST_SCORE', 'SHIELD'] as const;
export type ClientProduct = (typeof CLIENT_PRODUCTS)[number];

export type ClientEnvironment = 'SANDBOX' | 'LIVE';

export type CredentialKind = 'api_key' | 'sdk_token' | 'client_secret' | 'jwt_key' | 'admin_key';

/** The credential that authenticated a request: never the secret, only what identifies it. */
export interface CredentialRef {
  kind: CredentialKind;
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

export type Caller = AuthenticatedClient | AuthenticatedAdmin;
