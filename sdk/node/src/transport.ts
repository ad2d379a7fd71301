import { randomUUID } from 'node:crypto';
import { GatewayTransportError, retryAfterSecondsOf } from './errors.js';
import { signClientJwt, type JwtCredentials } from './jwt.js';

export interface Credentials {
  /** X-CLIENT-ID, with the API key or an SDK token. */
  clientId?: string;
  /** X-API-KEY: the client's backend calls (`/v1/api/**`). */
  apiKey?: string;
  /** X-SDK-TOKEN: the device-side routes (`GET /v1/he/{operatorId}`, `POST /v1/api/sdk/session`). */
  sdkToken?: string;
  /** Signs `Authorization: Bearer <JWT>` for Identity Match and CAMARA. */
  jwt?: JwtCredentials;
  /** `Authorization: Bearer <admin key>` for `/admin/**`. */
  adminKey?: string;
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 = never retry). */
  maxAttempts?: number;
  /** Longest wait before a retry; a longer Retry-After is not waited for (default 30 000 ms). */
  maxDelayMs?: number;
  /** First backoff when the gateway gives no Retry-After, doubled per attempt (default 250 ms). */
  baseDelayMs?: number;
}

export interface TransportOptions {
  baseUrl: string;
  credentials: Credentials;
  retry?: RetryOptions;
  fetch?: typeof fetch;
  /** The x-correlator of each logical call (default: a UUID); retries keep it. */
  correlator?: () => string;
  /** Waits between attempts (tests replace it). */
  sleep?: (ms: number, signal?: AbortSignal | null) => Promise<void>;
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RETRIED = new Set([429, 503]);
const DEVICE_ROUTES = [/^\/v1\/he\/[^/]+$/, /^\/v1\/api\/sdk\/session$/];

function defaultSleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

function needs<T>(value: T | undefined, name: string, path: string): T {
  if (value === undefined)
    throw new TypeError(`${path} needs ${name}: pass it to createGatewayClient().`);
  return value;
}

/** Sets the credential the path's contract takes, unless the call brought its own. */
async function authenticate(
  headers: Headers,
  path: string,
  credentials: Credentials,
): Promise<void> {
  if (path.startsWith('/health/')) return;
  if (path.startsWith('/v1/')) {
    if (!headers.has('x-client-id'))
      headers.set('X-CLIENT-ID', needs(credentials.clientId, 'clientId', path));
    if (DEVICE_ROUTES.some((route) => route.test(path))) {
      if (!headers.has('x-sdk-token'))
        headers.set('X-SDK-TOKEN', needs(credentials.sdkToken, 'an sdkToken', path));
    } else if (!headers.has('x-api-key')) {
      headers.set('X-API-KEY', needs(credentials.apiKey, 'apiKey', path));
    }
    return;
  }
  if (headers.has('authorization')) return;
  if (path.startsWith('/admin/')) {
    headers.set('Authorization', `Bearer ${needs(credentials.adminKey, 'adminKey', path)}`);
  } else {
    headers.set(
      'Authorization',
      `Bearer ${await signClientJwt(needs(credentials.jwt, 'jwt credentials', path))}`,
    );
  }
}

/**
 * The fetch the generated client uses: puts the right credential on each request, an x-correlator
 * and, on mutations, an `Idempotency-Key`; retries 429 and 503 after Retry-After (or an
 * exponential backoff), with the same idempotency key and correlator, so a retried mutation is
 * recognisable as the same request.
 */
export function createTransport(
  options: TransportOptions,
): (request: Request) => Promise<Response> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const basePath = new URL(options.baseUrl).pathname.replace(/\/$/, '');
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 3);
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  const baseDelayMs = options.retry?.baseDelayMs ?? 250;
  const sleep = options.sleep ?? defaultSleep;
  const correlator = options.correlator ?? randomUUID;

  return async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname.slice(basePath.length) || '/';
    const mutation = MUTATIONS.has(request.method);
    const headers = new Headers(request.headers);
    if (!headers.has('x-correlator')) headers.set('x-correlator', correlator());
    if (mutation && !headers.has('idempotency-key')) headers.set('Idempotency-Key', randomUUID());
    // Read once: a retry sends the same bytes.
    const body = mutation || request.body ? await request.arrayBuffer() : undefined;

    for (let attempt = 1; ; attempt += 1) {
      const attemptHeaders = new Headers(headers);
      await authenticate(attemptHeaders, path, options.credentials);
      let response: Response;
      try {
        response = await fetchImpl(request.url, {
          method: request.method,
          headers: attemptHeaders,
          body,
          signal: request.signal,
          redirect: 'manual',
        });
      } catch (error) {
        throw new GatewayTransportError(
          `No answer from the gateway for ${request.method} ${path}`,
          { cause: error },
        );
      }
      if (!RETRIED.has(response.status) || attempt >= maxAttempts) return response;
      const retryAfter = retryAfterSecondsOf(response.headers.get('retry-after'));
      const delay =
        retryAfter !== undefined
          ? retryAfter * 1000
          : baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      if (delay > maxDelayMs) return response;
      await response.body?.cancel();
      await sleep(delay, request.signal);
    }
  };
}
