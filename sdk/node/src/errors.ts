/** The gateway's wire contracts; each answers errors in its own envelope. */
export type Contract = 'authmatech' | 'identity_match' | 'camara' | 'admin';

/** Which contract a path belongs to (the gateway decides the same way). */
export function contractOf(path: string): Contract {
  if (path.startsWith('/v1/')) return 'authmatech';
  if (path.startsWith('/mobile-identity/')) return 'identity_match';
  if (/^\/(sim-swap|device-swap|number-verification)\//.test(path)) return 'camara';
  return 'admin';
}

export interface GatewayErrorDetails {
  status: number;
  code: string;
  message: string;
  contract: Contract;
  /** The request's x-correlator: quote it to the gateway's operator. */
  correlator: string | undefined;
  /** Seconds the gateway asked to wait (429), when it said. */
  retryAfterSeconds: number | undefined;
  /** The error body as received. */
  body: unknown;
}

/**
 * An error answer of the gateway, whatever its contract's envelope: `status`, the stable `code`
 * (e.g. `INVALID_MOBILE_NUMBER`, `IDENTIFIER_NOT_FOUND`), and the `message` for people.
 */
export class GatewayError extends Error implements GatewayErrorDetails {
  readonly status: number;
  readonly code: string;
  readonly contract: Contract;
  readonly correlator: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly body: unknown;

  constructor(details: GatewayErrorDetails) {
    super(details.message);
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
    this.contract = details.contract;
    this.correlator = details.correlator;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.body = details.body;
  }

  /** 429 and 503 may succeed later; the client already retried them as configured. */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }
}

/** `{success:false, messages:[{type:"FAILURE", code, message, httpStatus}], data:null}` (`/v1/**`). */
export class AuthmatechError extends GatewayError {}
/** `{state:"error", code, message}` (`/mobile-identity/**`). */
export class IdentityMatchError extends GatewayError {}
/** `{status, code, message}` (CAMARA paths, and the admin API, which uses the same form). */
export class CamaraError extends GatewayError {}

/** No HTTP answer at all (connection refused, DNS, aborted). */
export class GatewayTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayTransportError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSecondsOf(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The typed error for an error answer, read from the envelope of the path's contract. */
export function errorFromResponse(path: string, response: Response, body: unknown): GatewayError {
  const contract = contractOf(path);
  let code = `HTTP_${response.status}`;
  let message = response.statusText || 'The gateway answered an error.';
  if (
    contract === 'authmatech' &&
    isObject(body) &&
    Array.isArray(body.messages) &&
    isObject(body.messages[0])
  ) {
    const first = body.messages[0];
    if (typeof first.code === 'string') code = first.code;
    if (typeof first.message === 'string') message = first.message;
  } else if (isObject(body)) {
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
  }
  const details: GatewayErrorDetails = {
    status: response.status,
    code,
    message,
    contract,
    correlator: response.headers.get('x-correlator') ?? undefined,
    retryAfterSeconds: retryAfterSecondsOf(response.headers.get('retry-after')),
    body,
  };
  switch (contract) {
    case 'authmatech':
      return new AuthmatechError(details);
    case 'identity_match':
      return new IdentityMatchError(details);
    default:
      return new CamaraError(details);
  }
}
