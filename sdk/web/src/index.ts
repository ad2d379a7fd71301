/**
 * Web SDK of the Mobile Identity Gateway, in the shapes of the Authmatech Web SDK: silent
 * verification of a mobile number from a browser page, through the operator's header enrichment.
 * No runtime dependencies; never sees an API key (the page gets a short-lived SDK token from its
 * own backend).
 */

export const SDK_VERSION = '0.1.0';

/** Why a call failed. See the README for when each occurs and what to do. */
export type AuthmatechErrorCode =
  | 'sdk_no_he_result'
  | 'timeout'
  | 'token_refused'
  | 'operator_error'
  | 'network_error'
  | 'request_refused'
  | 'invalid_response';

export interface AuthmatechErrorDetails {
  /** HTTP status of the gateway's answer, when there was one. */
  status?: number;
  /** The gateway's message code, e.g. `OPERATOR_UNAVAILABLE` or `INVALID_OPERATOR`. */
  gatewayCode?: string;
  /** The gateway's correlation id of the failed request (quote it to support). */
  correlationId?: string;
  /** The operator, when the gateway named it (`sdk_no_he_result`). */
  MNOID?: string;
  /** The session the gateway opened, when it did (`sdk_no_he_result`). */
  sdkSessionId?: string;
}

const RETRYABLE: AuthmatechErrorCode[] = ['timeout', 'operator_error', 'network_error'];

/** Every failure of the SDK is one of these (besides a TypeError for invalid options). */
export class AuthmatechSdkError extends Error implements AuthmatechErrorDetails {
  override readonly name = 'AuthmatechSdkError';
  readonly status?: number;
  readonly gatewayCode?: string;
  readonly correlationId?: string;
  readonly MNOID?: string;
  readonly sdkSessionId?: string;
  /** Whether trying again later may succeed (timeouts, operator and network failures, 429). */
  readonly retryable: boolean;

  constructor(
    readonly code: AuthmatechErrorCode,
    message: string,
    details: AuthmatechErrorDetails = {},
  ) {
    super(message);
    Object.assign(this, details);
    this.retryable = RETRYABLE.includes(code) || details.status === 429;
  }
}

export interface AuthmatechWebSDKOptions {
  /** Base URL of the gateway's API, e.g. `https://gateway.bank.example`. */
  backendBaseURL: string;
  /** Your client id (`X-CLIENT-ID`); public. */
  clientId: string;
  /** The SDK token your backend obtained with `POST /v1/api/sdk/token`; never an API key. */
  sdkToken: string;
  /** Longest a call may take, all its requests included (default 10 000 ms). */
  timeoutMs?: number;
  /**
   * Keep a random installation id in localStorage and report its SHA-256 hash in the device
   * context (default true). The raw id never leaves the browser.
   */
  rememberInstallation?: boolean;
}

export interface HeaderEnrichmentOptions {
  /** The operator's enrichment URL on the gateway, e.g. `http://he.gateway.bank.example/v1/he/ZAIN_JO`. */
  heUrl: string;
  timeoutMs?: number;
}

export interface HeaderEnrichmentResult {
  /** The proof; your backend sends it as `encryptedMobileNumber` to `POST /v1/api/verify`. */
  authmatechCode: string;
  MNOID: string;
  sdkSessionId: string;
}

export interface AuthmatechCheckOptions {
  /** A UUID naming this check; one is made when omitted. Use each one once. */
  transactionId?: string;
  /** The gateway's check page of the operator, e.g. `http://he.gateway.bank.example/v1/he/ZAIN_JO/check`. */
  checkUrl: string;
  timeoutMs?: number;
}

export interface AuthmatechCheckResult {
  /** Your backend verifies it with `POST /v1/api/verify/{transactionId}`. */
  transactionId: string;
  MNOID: string;
  sdkSessionId: string;
}

interface Envelope {
  success?: unknown;
  messages?: { code?: unknown }[];
  data?: Record<string, unknown> | null;
}

interface Answer {
  status: number;
  body: Envelope | null;
  correlationId?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const INSTALLATION_KEY = 'mig.installationId';

function fail(code: AuthmatechErrorCode, message: string, details?: AuthmatechErrorDetails): never {
  throw new AuthmatechSdkError(code, message, details);
}

function absoluteUrl(value: unknown, name: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    // reported below
  }
  if (!url || !/^https?:$/.test(url.protocol))
    throw new TypeError(`${name} must be an absolute http(s) URL`);
  return url;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function timeoutOf(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0))
    throw new TypeError('timeoutMs must be a positive number');
  return value;
}

/** Runs `work` with a deadline; the work is aborted at the deadline and its late outcome ignored. */
async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new AuthmatechSdkError('timeout', `No answer within ${ms} ms.`));
      controller.abort();
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function randomUuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Hex SHA-256, or undefined where WebCrypto is missing (pages served over plain HTTP off localhost). */
async function sha256(value: string): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function request(url: string, init: RequestInit, signal: AbortSignal): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal, cache: 'no-store', credentials: 'omit' });
  } catch {
    // Offline, DNS, refused connection, or a CORS refusal: the browser does not say which.
    return fail(
      'network_error',
      'The gateway could not be reached, or refused this page’s origin.',
    );
  }
  let body: Envelope | null = null;
  try {
    body = (await response.json()) as Envelope;
  } catch {
    // judged below as an invalid response
  }
  return {
    status: response.status,
    body,
    correlationId: response.headers.get('x-correlator') ?? undefined,
  };
}

/** The data of a successful envelope, or the typed failure the answer stands for. */
function dataOf({ status, body, correlationId }: Answer): Record<string, unknown> {
  const code = body?.messages?.[0]?.code;
  const details: AuthmatechErrorDetails = {
    status,
    correlationId,
    gatewayCode: typeof code === 'string' ? code : undefined,
  };
  if (status === 200 && body?.success === true && body.data && typeof body.data === 'object') {
    const data = body.data;
    if (code === 'sdk_no_he_result') {
      fail(
        'sdk_no_he_result',
        'The operator did not identify the subscriber (Wi-Fi, another operator, or no enrichment).',
        {
          ...details,
          MNOID: typeof data.MNOID === 'string' ? data.MNOID : undefined,
          sdkSessionId: typeof data.sdkSessionId === 'string' ? data.sdkSessionId : undefined,
        },
      );
    }
    return data;
  }
  if (status === 0)
    return fail('network_error', 'The check page could not reach the gateway.', details);
  if (status === 401)
    return fail(
      'token_refused',
      'The SDK token was refused (expired, revoked, or not this client’s).',
      details,
    );
  if (status >= 500)
    return fail(
      'operator_error',
      'The operator or the gateway could not answer; no result.',
      details,
    );
  if (status >= 400) return fail('request_refused', 'The gateway refused the request.', details);
  return fail('invalid_response', 'The gateway’s answer was not understood.', details);
}

function field(data: Record<string, unknown>, name: string): string {
  const value = data[name];
  return typeof value === 'string'
    ? value
    : fail('invalid_response', `The gateway’s answer lacks ${name}.`);
}

/** Loads the check page in a hidden iframe, hands it the credentials by postMessage, awaits its answer. */
function runCheck(
  checkUrl: URL,
  start: Record<string, string>,
  signal: AbortSignal,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    const id = randomUuid();
    let started = false;
    const cleanUp = (): void => {
      removeEventListener('message', onMessage);
      signal.removeEventListener('abort', onAbort);
      frame.remove();
    };
    const onMessage = (event: MessageEvent): void => {
      const data = event.data as {
        type?: unknown;
        id?: unknown;
        status?: unknown;
        body?: unknown;
      } | null;
      if (
        event.source !== frame.contentWindow ||
        event.origin !== checkUrl.origin ||
        data?.type !== 'mig:check:result' ||
        data.id !== id
      )
        return;
      cleanUp();
      resolve({
        status: typeof data.status === 'number' ? data.status : 0,
        body: (data.body as Envelope) ?? null,
      });
    };
    const onAbort = (): void => {
      cleanUp();
      reject(new AuthmatechSdkError('timeout', 'The check page did not answer in time.'));
    };
    frame.addEventListener('load', () => {
      if (started) return;
      started = true;
      // Only a document of the gateway's origin receives it; an error page gets nothing.
      frame.contentWindow?.postMessage({ type: 'mig:check:start', id, ...start }, checkUrl.origin);
    });
    addEventListener('message', onMessage);
    signal.addEventListener('abort', onAbort, { once: true });
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin');
    frame.setAttribute('aria-hidden', 'true');
    frame.tabIndex = -1;
    frame.style.display = 'none';
    frame.src = checkUrl.href;
    (document.body ?? document.documentElement).appendChild(frame);
  });
}

/** `new AuthmatechWebSDK({ backendBaseURL, clientId, sdkToken })`: see the README. */
export class AuthmatechWebSDK {
  private readonly sessionUrl: string;
  private readonly clientId: string;
  private readonly sdkToken: string;
  private readonly timeoutMs: number;
  private readonly rememberInstallation: boolean;

  constructor(options: AuthmatechWebSDKOptions) {
    const base = absoluteUrl(options?.backendBaseURL, 'backendBaseURL');
    this.sessionUrl = `${base.href.replace(/\/+$/, '')}/v1/api/sdk/session`;
    this.clientId = text(options.clientId, 'clientId');
    this.sdkToken = text(options.sdkToken, 'sdkToken');
    this.timeoutMs = timeoutOf(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.rememberInstallation = options.rememberInstallation !== false;
  }

  /**
   * Asks the operator for enrichment at `heUrl`, then registers the SDK session with the device
   * context. Resolves `{ authmatechCode, MNOID, sdkSessionId }`; rejects with AuthmatechSdkError.
   */
  async startHeaderEnrichment(options: HeaderEnrichmentOptions): Promise<HeaderEnrichmentResult> {
    const heUrl = absoluteUrl(options?.heUrl, 'heUrl');
    return withDeadline(timeoutOf(options.timeoutMs, this.timeoutMs), async (signal) => {
      const data = await this.enrichmentData(
        await request(heUrl.href, { headers: this.headers() }, signal),
        signal,
      );
      const result = {
        authmatechCode: field(data, 'authmatechCode'),
        MNOID: field(data, 'MNOID'),
        sdkSessionId: field(data, 'sdkSessionId'),
      };
      await this.registerSession(
        result.sdkSessionId,
        result.MNOID,
        true,
        await sha256(result.authmatechCode),
        signal,
      );
      return result;
    });
  }

  /**
   * The web variant: runs the enrichment in the gateway's check page (hidden iframe) for
   * `transactionId`; the proof stays on the gateway. Resolves `{ transactionId, MNOID, sdkSessionId }`.
   */
  async initAuthmatechCheck(options: AuthmatechCheckOptions): Promise<AuthmatechCheckResult> {
    const checkUrl = absoluteUrl(options?.checkUrl, 'checkUrl');
    checkUrl.hash = '';
    const transactionId =
      options.transactionId === undefined
        ? randomUuid()
        : text(options.transactionId, 'transactionId');
    return withDeadline(timeoutOf(options.timeoutMs, this.timeoutMs), async (signal) => {
      const answer = await runCheck(
        checkUrl,
        { clientId: this.clientId, sdkToken: this.sdkToken, transactionId },
        signal,
      );
      const data = await this.enrichmentData(answer, signal);
      const result = {
        transactionId,
        MNOID: field(data, 'MNOID'),
        sdkSessionId: field(data, 'sdkSessionId'),
      };
      await this.registerSession(result.sdkSessionId, result.MNOID, true, undefined, signal);
      return result;
    });
  }

  /** The enrichment's data; when the operator identified nobody, the session is still reported. */
  private async enrichmentData(
    answer: Answer,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    try {
      return dataOf(answer);
    } catch (error) {
      // The gateway keeps the device context of failed attempts too (fallback statistics).
      if (error instanceof AuthmatechSdkError && error.sdkSessionId) {
        await this.registerSession(error.sdkSessionId, error.MNOID, false, undefined, signal).catch(
          () => undefined,
        );
      }
      throw error;
    }
  }

  private headers(json = false): Record<string, string> {
    return {
      'X-CLIENT-ID': this.clientId,
      'X-SDK-TOKEN': this.sdkToken,
      ...(json && { 'Content-Type': 'application/json' }),
    };
  }

  private async registerSession(
    sdkSessionId: string,
    mnoId: string | undefined,
    authmatechCodePresent: boolean,
    authmatechCodeHash: string | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const body = {
      sdkSessionId,
      mnoId,
      authmatechCodePresent,
      authmatechCodeHash,
      deviceContext: await this.deviceContext(),
    };
    dataOf(
      await request(
        this.sessionUrl,
        { method: 'POST', headers: this.headers(true), body: JSON.stringify(body) },
        signal,
      ),
    );
  }

  /** What a browser can honestly say about itself; ids only as hashes. */
  private async deviceContext(): Promise<Record<string, string | undefined>> {
    return {
      platform: 'web',
      sdkVersion: SDK_VERSION,
      userAgent: globalThis.navigator?.userAgent?.slice(0, 512),
      installationIdHash: this.rememberInstallation ? await installationIdHash() : undefined,
    };
  }
}

async function installationIdHash(): Promise<string | undefined> {
  try {
    let id = localStorage.getItem(INSTALLATION_KEY);
    if (!id) {
      id = randomUuid();
      localStorage.setItem(INSTALLATION_KEY, id);
    }
    return await sha256(id);
  } catch {
    // No storage (private mode, sandboxed frame, not a browser): no installation id.
    return undefined;
  }
}

/**
 * The published package's shape: `initAuthmatechCheck({ transactionId, checkUrl })`, where your
 * backend put the client id and SDK token in the check URL's fragment
 * (`…/check#clientId=cli_…&sdkToken=mig_sdk_…`). A fragment never leaves the browser; the SDK
 * removes it and hands the credentials to the check page by postMessage.
 */
export async function initAuthmatechCheck(
  options: AuthmatechCheckOptions,
): Promise<AuthmatechCheckResult> {
  const checkUrl = absoluteUrl(options?.checkUrl, 'checkUrl');
  const fragment = new URLSearchParams(checkUrl.hash.slice(1));
  const sdk = new AuthmatechWebSDK({
    backendBaseURL: fragment.get('backendBaseURL') ?? checkUrl.origin,
    clientId: fragment.get('clientId') ?? '',
    sdkToken: fragment.get('sdkToken') ?? '',
    timeoutMs: options.timeoutMs,
  });
  return sdk.initAuthmatechCheck(options);
}
