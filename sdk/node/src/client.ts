import createClient, { type Client } from 'openapi-fetch';
import { errorFromResponse } from './errors.js';
import type { components, paths } from './generated/schema.js';
import { createTransport, type Credentials, type RetryOptions } from './transport.js';

type Schemas = components['schemas'];

export type SdkTokenData = Schemas['SdkTokenData'];
export type EnrichmentData = Schemas['EnrichmentData'];
export type VerifyRequest = Schemas['VerifyRequest'];
export type VerifyTransactionRequest = Schemas['VerifyTransactionRequest'];
export type SdkSession = Schemas['SdkSession'];
export type ProductsData = Schemas['ProductsData'];
export type BalanceHistoryEntry = Schemas['BalanceHistoryEntry'];
export type IdentityMatchSimSwapRequest = Schemas['IdentityMatchSimSwapRequest'];
export type IdentityMatchAnswer =
  | Schemas['IdentityMatchTimestampAnswer']
  | Schemas['IdentityMatch24hAnswer']
  | Schemas['IdentityMatchRangeAnswer'];
export type CreateCheckSimSwap = Schemas['CreateCheckSimSwap'];
export type CreateSimSwapDate = Schemas['CreateSimSwapDate'];
export type CheckSimSwapInfo = Schemas['CheckSimSwapInfo'];
export type SimSwapInfo = Schemas['SimSwapInfo'];
export type CreateCheckDeviceSwap = Schemas['CreateCheckDeviceSwap'];
export type CreateDeviceSwapDate = Schemas['CreateDeviceSwapDate'];
export type CheckDeviceSwapInfo = Schemas['CheckDeviceSwapInfo'];
export type DeviceSwapInfo = Schemas['DeviceSwapInfo'];
export type ClientView = Schemas['Client'];
export type CreateClient = Schemas['CreateClient'];
export type CreatedClient = Schemas['CreatedClient'];
export type ClientBalance = Schemas['ClientBalance'];
export type TopUpRequest = Schemas['TopUpRequest'];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/** A 200 of the Authmatech contract that is not a plain success: its WARNING message. */
export interface AuthmatechWarning {
  code: string;
  message: string | null;
}

/** The verdict of a verify; a negative one names its reason (e.g. `PROOF_EXPIRED`, `NUMBER_MISMATCH`). */
export type VerifyResult = Schemas['VerifyData'] & { reason?: string };

/** The enrichment's answer; `identified` is false (no proof) on Wi-Fi, an untrusted source or another operator's subscriber. */
export type EnrichResult = EnrichmentData & { identified: boolean; warning?: AuthmatechWarning };

export interface GatewayClientOptions extends Credentials {
  /** The gateway's address, e.g. `https://gateway.bank.example` (a path prefix is kept). */
  baseUrl: string;
  /** Retries of 429 and 503 (default: 3 attempts, Retry-After honoured up to 30 s). */
  retry?: RetryOptions;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /** The x-correlator of each call (default: a new UUID). */
  correlator?: () => string;
  /** How the client waits before a retry (default: a timer); tests and schedulers replace it. */
  sleep?: (ms: number, signal?: AbortSignal | null) => Promise<void>;
}

/** The Authmatech envelope as the generated types state it (`messages` narrowed per operation). */
interface Envelope<T> {
  messages?: unknown;
  data: T;
}

interface Message {
  type?: unknown;
  code?: unknown;
  message?: unknown;
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * A typed client of the gateway. Each method calls one operation of the served OpenAPI document
 * with its contract's credential, answers the unwrapped data, and throws a `GatewayError`
 * subclass (`AuthmatechError`, `IdentityMatchError`, `CamaraError`) for any error answer.
 * `raw` is the generated client for every operation, typed path by path.
 */
export class GatewayClient {
  readonly raw: Client<paths>;

  constructor(private readonly options: GatewayClientOptions) {
    const { baseUrl, retry, fetch, correlator, sleep, ...credentials } = options;
    this.raw = createClient<paths>({
      baseUrl: baseUrl.replace(/\/$/, ''),
      fetch: createTransport({ baseUrl, credentials, retry, fetch, correlator, sleep }),
    });
  }

  /** Silent verification (the Authmatech contract). */
  readonly verification = {
    /** A short-lived SDK token for a device (with the API key). */
    mintSdkToken: async (): Promise<SdkTokenData> =>
      this.authmatech(await this.raw.POST('/v1/api/sdk/token')).data,

    /**
     * Header enrichment, as the device calls it (with an SDK token: `options.sdkToken` or the
     * client's). In the sandbox, `sandboxMsisdn` stands in for the number the network injects.
     */
    enrich: async (
      operatorId: string,
      options: { sdkToken?: string; sandboxMsisdn?: string; transactionId?: string } = {},
    ): Promise<EnrichResult> => {
      const { data, warning } = this.authmatech(
        await this.raw.GET('/v1/he/{operatorId}', {
          params: {
            path: { operatorId },
            query: options.transactionId ? { transactionId: options.transactionId } : {},
            header: options.sandboxMsisdn ? { 'X-Sandbox-Msisdn': options.sandboxMsisdn } : {},
          },
          headers: options.sdkToken ? { 'X-SDK-TOKEN': options.sdkToken } : {},
        }),
      );
      return { ...data, identified: data.authmatechCode !== null, ...(warning ? { warning } : {}) };
    },

    /** The SDK's session report (device context), with an SDK token. */
    reportSession: async (
      session: SdkSession,
      options: { sdkToken?: string } = {},
    ): Promise<{ sdkSessionId: string }> =>
      this.authmatech(
        await this.raw.POST('/v1/api/sdk/session', {
          body: session,
          headers: options.sdkToken ? { 'X-SDK-TOKEN': options.sdkToken } : {},
        }),
      ).data,

    /** Does the proof from enrichment prove this number for this client? */
    verify: async (
      request: VerifyRequest,
      options: { maskMobile?: boolean } = {},
    ): Promise<VerifyResult> =>
      this.verdict(
        await this.raw.POST('/v1/api/verify', {
          body: request,
          params: { query: { maskMobile: options.maskMobile ? 'true' : 'false' } },
        }),
      ),

    /** The web variant: the proof the gateway kept for the enrichment session `transactionId`. */
    verifyTransaction: async (
      transactionId: string,
      request: VerifyTransactionRequest,
      options: { maskMobile?: boolean } = {},
    ): Promise<VerifyResult> =>
      this.verdict(
        await this.raw.POST('/v1/api/verify/{transactionId}', {
          body: request,
          params: {
            path: { transactionId },
            query: { maskMobile: options.maskMobile ? 'true' : 'false' },
          },
        }),
      ),
  };

  /** The client's own portal: products, balance, history. */
  readonly portal = {
    products: async (): Promise<ProductsData> =>
      this.authmatech(await this.raw.GET('/v1/api/me/products')).data,
    balanceHistory: async (query: PageQuery = {}): Promise<Page<BalanceHistoryEntry>> =>
      this.authmatech(await this.raw.GET('/v1/api/me/balance-history', { params: { query } })).data,
    /** Issues a new API key with the client secret; the old one keeps working for the grace period. */
    rotateApiKey: async (secretKey: string): Promise<Schemas['RotatedKeyData']> =>
      this.authmatech(await this.raw.POST('/v1/api/me/api-key/rotate', { body: { secretKey } }))
        .data,
  };

  /** Identity Match takeover protection (the client JWT is signed per request). */
  readonly identityMatch = {
    simSwap: async (request: IdentityMatchSimSwapRequest): Promise<IdentityMatchAnswer> =>
      this.plain(await this.raw.POST('/mobile-identity/v1/sim-swap', { body: request })),
  };

  /** CAMARA SIM Swap 2.1 and Device Swap 1.0 (the client JWT is signed per request). */
  readonly camara = {
    checkSimSwap: async (request: CreateCheckSimSwap): Promise<CheckSimSwapInfo> =>
      this.plain(await this.raw.POST('/sim-swap/v2/check', { body: request })),
    retrieveSimSwapDate: async (request: CreateSimSwapDate): Promise<SimSwapInfo> =>
      this.plain(await this.raw.POST('/sim-swap/v2/retrieve-date', { body: request })),
    checkDeviceSwap: async (request: CreateCheckDeviceSwap): Promise<CheckDeviceSwapInfo> =>
      this.plain(await this.raw.POST('/device-swap/v1/check', { body: request })),
    retrieveDeviceSwapDate: async (request: CreateDeviceSwapDate): Promise<DeviceSwapInfo> =>
      this.plain(await this.raw.POST('/device-swap/v1/retrieve-date', { body: request })),
  };

  /** The admin API (an admin key; some reads take an auditor key). */
  readonly admin = {
    createClient: async (request: CreateClient): Promise<CreatedClient> =>
      this.plain(await this.raw.POST('/admin/v1/clients', { body: request })),
    listClients: async (query: PageQuery = {}): Promise<Page<ClientView>> =>
      this.plain(await this.raw.GET('/admin/v1/clients', { params: { query } })),
    getClient: async (clientId: string): Promise<ClientView> =>
      this.plain(
        await this.raw.GET('/admin/v1/clients/{clientId}', { params: { path: { clientId } } }),
      ),
    topUp: async (clientId: string, request: TopUpRequest): Promise<ClientBalance> =>
      this.plain(
        await this.raw.POST('/admin/v1/clients/{clientId}/balance/top-up', {
          params: { path: { clientId } },
          body: request,
        }),
      ),
    balance: async (clientId: string): Promise<ClientBalance> =>
      this.plain(
        await this.raw.GET('/admin/v1/clients/{clientId}/balance', {
          params: { path: { clientId } },
        }),
      ),
  };

  /** Every item of a list, page after page: `for await (const client of gateway.all(gateway.admin.listClients))`. */
  async *all<T>(list: (query: PageQuery) => Promise<Page<T>>, limit = 100): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await list({ limit, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  private plain<T>(result: FetchResult<T>): T {
    if (result.error !== undefined || !result.response.ok || result.data === undefined)
      throw this.failure(result);
    return result.data;
  }

  private authmatech<T>(result: FetchResult<Envelope<T>>): {
    data: T;
    warning?: AuthmatechWarning;
  } {
    const envelope = this.plain(result);
    const messages = (Array.isArray(envelope.messages) ? envelope.messages : []) as Message[];
    const warning = messages.find(
      (message) => message.type === 'WARNING' && typeof message.code === 'string',
    );
    return {
      data: envelope.data,
      ...(warning
        ? {
            warning: {
              code: warning.code as string,
              message: typeof warning.message === 'string' ? warning.message : null,
            },
          }
        : {}),
    };
  }

  private verdict(result: FetchResult<Envelope<Schemas['VerifyData']>>): VerifyResult {
    const { data, warning } = this.authmatech(result);
    return warning && !data.validNumber ? { ...data, reason: warning.code } : data;
  }

  private failure(result: FetchResult<unknown>): Error {
    const path = new URL(result.response.url || this.options.baseUrl).pathname.slice(
      new URL(this.options.baseUrl).pathname.replace(/\/$/, '').length,
    );
    return errorFromResponse(path, result.response, result.error);
  }
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient(options);
}
