/** The gateway's console API (same origin; the session cookie travels by itself). */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Set from the session: every state-changing call must carry it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** What to do when the server says the session is gone (timed out, signed out elsewhere). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/console/api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (data ?? {}) as { code?: string; message?: string };
    if (response.status === 401 && path !== '/session' && onUnauthenticated) onUnauthenticated();
    throw new ApiFailure(
      response.status,
      error.code ?? 'ERROR',
      error.message ?? `Request failed (${response.status}).`,
    );
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};

/** `?a=1&b=2` from the non-empty entries. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// ─── Shapes the server answers ───────────────────────────────────────────────────────────────

export type Role = 'admin' | 'auditor' | 'client';

export interface Session {
  user: {
    id: string;
    email: string;
    role: Role;
    totpEnabled: boolean;
    clients: { clientId: string; name: string; environment: 'SANDBOX' | 'LIVE' }[];
  };
  csrfToken: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
}

export interface Client {
  clientId: string;
  name: string;
  environment: 'SANDBOX' | 'LIVE';
  products: string[];
  status: 'active' | 'suspended';
  rateLimitPerMinute: number;
  allowedOrigins: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Credential {
  id: string;
  kind: 'api_key' | 'client_secret' | 'jwt_key' | 'admin_key';
  fingerprint: string;
  status: 'active' | 'expired' | 'revoked';
  role: 'admin' | 'auditor' | null;
  createdAt: string;
  expiresAt: string | null;
  endedAt: string | null;
  lastUsedAt: string | null;
  rotatedFromId: string | null;
}

export interface Issued {
  credential: Credential;
  secret: string;
  previousValidUntil?: string;
}

export interface Balance {
  credits: number;
  expiresAt: string | null;
  expired: boolean;
}

export interface LedgerEntry {
  at: string;
  kind: 'TOP_UP' | 'VERIFY' | 'REFUND' | 'ASSESSMENT';
  change: number;
  balanceAfter: number;
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  correlationId: string | null;
  clientId: string | null;
  credentialKind: string | null;
  credentialFingerprint: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  contract: string;
  serviceType: string | null;
  operatorId: string | null;
  phoneHash: string | null;
  phoneMasked: string | null;
  outcome: string;
  verdict: unknown;
  httpStatus: number | null;
  errorCode: string | null;
  latencyMs: number | null;
  sourceIp: string | null;
  userAgent: string | null;
  upstream: unknown;
  detail: unknown;
  prevHash: string;
  hash: string;
}

export interface VerificationRun {
  id: string;
  status: 'running' | 'passed' | 'failed' | 'error' | 'abandoned';
  requestedBy: { type: string; id: string | null };
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  checkedEvents: number;
  totalEvents: number;
  fromPosition: string | null;
  headPosition: string | null;
  headHash: string | null;
  firstBroken: { position: string; kind: string; message: string } | null;
  error: string | null;
}

export interface ConsoleUser {
  id: string;
  email: string;
  role: Role;
  status: 'invited' | 'active' | 'disabled';
  clients: { clientId: string; environment: string }[];
  totpEnabled: boolean;
  locked: boolean;
  lockedUntil: string | null;
  lastSignInAt: string | null;
  invitationExpiresAt: string | null;
  createdAt: string;
}

export interface Invitation {
  user: ConsoleUser;
  token: string;
  path: string;
  expiresAt: string;
}

export interface Operator {
  id: string;
  name: string;
  country: string;
  numberPrefixes: string[];
  enrichmentHeader: string | null;
  trustedRanges: string[];
  adapterKind: 'sandbox' | 'upstream' | 'camara';
  settings: Record<string, unknown>;
  monitoredPeriodDays: number | null;
  enabled: boolean;
}

export const SERVICE_TYPES = [
  'REGISTRATION',
  'LOGIN',
  'RESET_PASS',
  'UPDATE_DETAILS',
  'TRANSACTION',
] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** A stored policy version (0: the built-in default); `policy` is complete. */
export interface VersionedPolicy {
  serviceType: ServiceType;
  version: number;
  policy: { thresholds: { challenge: number; review: number; block: number } } & Record<
    string,
    unknown
  >;
  createdBy: string | null;
  createdAt: string | null;
}

export const PRODUCTS = [
  'VERIFY',
  'VERIFY_MASKED',
  'SIM_SWAP',
  'DEVICE_SWAP',
  'TRUST',
  'SHIELD',
  'DETECT',
] as const;

/** The product an audited action belongs to, for the usage charts. */
export function productOfAction(action: string): string | undefined {
  if (action === 'verify' || action.startsWith('verify.')) return 'VERIFY';
  if (action.startsWith('sim_swap') || action === 'identity_match.sim_swap') return 'SIM_SWAP';
  if (action.startsWith('device_swap')) return 'DEVICE_SWAP';
  if (action.startsWith('number_verification')) return 'VERIFY';
  if (action.startsWith('trust')) return 'TRUST';
  if (action.startsWith('shield')) return 'SHIELD';
  if (action.startsWith('detect')) return 'DETECT';
  return undefined;
}
