import type { AdminRole } from '../../common/auth/auth.decorators.js';
import type {
  ClientEnvironment,
  ClientProduct,
  CredentialKind,
  CredentialRef,
} from '../../common/auth/caller.js';
import { decodeCursor, invalidCursor } from '../../common/http/pagination.js';
import type {
  ApiClient,
  Credential,
  CredentialKind as DbCredentialKind,
  PageKey,
} from './credentials.repository.js';

export type ClientStatusName = 'active' | 'suspended';

export interface ClientView {
  clientId: string;
  name: string;
  environment: ClientEnvironment;
  products: ClientProduct[];
  status: ClientStatusName;
  rateLimitPerMinute: number;
  /** Browser origins whose pages may use this client's SDK tokens. */
  allowedOrigins: string[];
  createdAt: string;
  updatedAt: string;
}

/** What a listing shows of a credential: never the secret, nor its hash. */
export interface CredentialView {
  id: string;
  kind: CredentialKind;
  fingerprint: string;
  status: 'active' | 'expired' | 'revoked';
  role: AdminRole | null;
  createdAt: string;
  expiresAt: string | null;
  endedAt: string | null;
  lastUsedAt: string | null;
  rotatedFromId: string | null;
}

export interface CreatedClient {
  clientId: string;
  apiKey: string;
  clientSecret: string;
  jwtKeyId: string;
  jwtSecret: string;
}

/** A newly issued secret: shown once, to whoever asked for it. */
export interface IssuedCredential {
  credential: CredentialView;
  /** The API key, client secret or admin key; for a JWT key, its secret (`credential.id` is the kid). */
  secret: string;
}

export interface RotationResult extends IssuedCredential {
  /** When the credentials it replaces stop working (now, when the grace period is 0). */
  previousValidUntil: string;
}

export const KIND_TO_DB: Record<CredentialKind, DbCredentialKind | undefined> = {
  api_key: 'API_KEY',
  client_secret: 'CLIENT_SECRET',
  jwt_key: 'JWT_KEY',
  admin_key: 'ADMIN_KEY',
  sdk_token: undefined, // stateless, never stored
};
export const KIND_FROM_DB: Record<DbCredentialKind, CredentialKind> = {
  API_KEY: 'api_key',
  CLIENT_SECRET: 'client_secret',
  JWT_KEY: 'jwt_key',
  ADMIN_KEY: 'admin_key',
};

/** The admin listings' cursor: creation time, then id. */
export const byCreation = (row: { createdAt: Date; id: string }): [string, string] => [
  row.createdAt.toISOString(),
  row.id,
];

export function pageKeyOf(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  const [createdAt, id] = decodeCursor(cursor, ['s', 's']);
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime())) throw invalidCursor();
  return { createdAt: at, id };
}

export function toClientView(client: ApiClient): ClientView {
  return {
    clientId: client.id,
    name: client.name,
    environment: client.environment,
    products: client.products,
    status: client.status === 'ACTIVE' ? 'active' : 'suspended',
    rateLimitPerMinute: client.rateLimitPerMinute,
    allowedOrigins: client.allowedOrigins,
    createdAt: client.createdAt.toISOString(),
    updatedAt: client.updatedAt.toISOString(),
  };
}

export function toCredentialView(credential: Credential): CredentialView {
  return {
    id: credential.id,
    kind: KIND_FROM_DB[credential.kind],
    fingerprint: credential.fingerprint,
    status:
      credential.status === 'ACTIVE'
        ? 'active'
        : credential.status === 'EXPIRED'
          ? 'expired'
          : 'revoked',
    role: credential.role === null ? null : credential.role === 'ADMIN' ? 'admin' : 'auditor',
    createdAt: credential.createdAt.toISOString(),
    expiresAt: credential.expiresAt?.toISOString() ?? null,
    endedAt: credential.endedAt?.toISOString() ?? null,
    lastUsedAt: credential.lastUsedAt?.toISOString() ?? null,
    rotatedFromId: credential.rotatedFromId,
  };
}

/** A credential as its audit events name it. */
export function refOf(credential: Credential): CredentialRef {
  return {
    kind: KIND_FROM_DB[credential.kind],
    id: credential.id,
    fingerprint: credential.fingerprint,
  };
}
