import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';
import { Clock } from '../../../common/clock/clock.js';
import type { RecordedAttempt } from '../../../common/outbound/call-recorder.js';
import {
  isBreakerOpen,
  joinUrl,
  OutboundClient,
  transportFailureOf,
} from '../../../common/outbound/outbound-client.js';
import { OperatorSecretsService } from '../../operators/operator-secrets.service.js';
import {
  parseOperatorSettings,
  type CamaraSettings,
} from '../../operators/dto/operator-settings.js';
import type { OperatorView } from '../../operators/operators.service.js';
import { isRfc3339DateTime } from '../../../common/http/rfc3339.js';
import { SwapLookupError } from '../sim-swap.errors.js';
import type { SwapAdapter, SwapDate, SwapQuery } from './swap-adapter.js';

/** Name under which OperatorSecretsService holds the operator's OAuth client secret. */
const CAMARA_CLIENT_SECRET = 'clientSecret';

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is fetched again (shortly before the operator's expiry). */
  refreshAt: number;
}

const PATHS = {
  sim: { check: 'sim-swap/v2/check', retrieveDate: 'sim-swap/v2/retrieve-date' },
  device: { check: 'device-swap/v1/check', retrieveDate: 'device-swap/v1/retrieve-date' },
} as const;

/** CAMARA SIM Swap Subscriptions 0.3, under the operator's baseUrl like the lookups. */
const SUBSCRIPTIONS_PATH = 'sim-swap-subscriptions/v0.3/subscriptions';
const SWAPPED_TYPE = 'org.camaraproject.sim-swap-subscriptions.v0.swapped';

/** What the gateway asks an operator to send, and where. */
export interface UpstreamSubscriptionRequest {
  sink: string;
  /** The bearer token the operator must present to the sink (sinkCredential ACCESSTOKEN). */
  accessToken: string;
  accessTokenExpiresAt: Date;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A problem that is ours or the operator's, never a verdict: it reaches the caller as 503. */
const unavailable = (why: string): SwapLookupError => new SwapLookupError('unavailable', why);

/**
 * Asks an operator's own CAMARA SIM Swap / Device Swap API. OAuth2 client-credentials tokens are
 * cached per operator until shortly before they expire and fetched again once when the operator
 * answers 401 (it may have revoked or expired the token early). Each operator has a circuit
 * breaker, so a dead operator is answered 503 at once instead of costing every caller the deadline.
 */
@Injectable()
export class CamaraSwapAdapter implements SwapAdapter {
  private readonly logger = new Logger(CamaraSwapAdapter.name);
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<string>>();

  constructor(
    private readonly http: HttpService,
    private readonly secrets: OperatorSecretsService,
    private readonly outbound: OutboundClient,
    private readonly clock: Clock,
  ) {}

  async check(query: SwapQuery, maxAgeHours: number): Promise<boolean> {
    const body = await this.call(query, () =>
      this.exchange(query, PATHS[query.kind].check, {
        phoneNumber: query.phoneNumber,
        maxAge: maxAgeHours,
      }),
    );
    if (typeof body.swapped !== 'boolean')
      throw unavailable('check answer without a boolean "swapped"');
    return body.swapped;
  }

  async retrieveDate(query: SwapQuery): Promise<SwapDate> {
    const body = await this.call(query, () =>
      this.exchange(query, PATHS[query.kind].retrieveDate, {
        phoneNumber: query.phoneNumber,
      }),
    );
    const field = query.kind === 'sim' ? 'latestSimChange' : 'latestDeviceChange';
    const raw = body[field];
    const monitored = body.monitoredPeriod;
    if (monitored !== undefined && !(Number.isInteger(monitored) && (monitored as number) > 0)) {
      throw unavailable('retrieve-date answer with an invalid "monitoredPeriod"');
    }
    if (raw === null) {
      return monitored === undefined
        ? { latestChange: null }
        : { latestChange: null, monitoredPeriodDays: monitored as number };
    }
    if (!isRfc3339DateTime(raw)) {
      throw unavailable(`retrieve-date answer without a valid "${field}"`);
    }
    return { latestChange: new Date(raw) };
  }

  /**
   * Creates a CAMARA SIM Swap Subscription for the query's number at its operator (201, or 202
   * when the operator creates it asynchronously) and answers the operator's subscription id.
   * Same token cache, 401 retry and circuit breaker as the lookups.
   */
  async subscribe(query: SwapQuery, request: UpstreamSubscriptionRequest): Promise<string> {
    const body = await this.call(query, async () => {
      const response = await this.authorized(query, 'POST', SUBSCRIPTIONS_PATH, {
        protocol: 'HTTP',
        sink: request.sink,
        types: [SWAPPED_TYPE],
        config: { subscriptionDetail: { phoneNumber: query.phoneNumber } },
        sinkCredential: {
          credentialType: 'ACCESSTOKEN',
          accessToken: request.accessToken,
          accessTokenExpiresUtc: request.accessTokenExpiresAt.toISOString(),
          accessTokenType: 'bearer',
        },
      });
      if (response.status !== 201 && response.status !== 202)
        throw unavailable(`subscription create answered ${response.status}`);
      if (!isRecord(response.data))
        throw unavailable('subscription create answer is not a JSON object');
      return response.data;
    });
    const id = body.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 256)
      throw unavailable('subscription create answer without an "id"');
    return id;
  }

  /** Deletes the operator's subscription; one the operator no longer knows (404) counts as deleted. */
  async unsubscribe(query: SwapQuery, upstreamId: string): Promise<void> {
    await this.call(query, async () => {
      const response = await this.authorized(
        query,
        'DELETE',
        `${SUBSCRIPTIONS_PATH}/${encodeURIComponent(upstreamId)}`,
        undefined,
      );
      if (
        response.status !== 204 &&
        response.status !== 202 &&
        response.status !== 200 &&
        response.status !== 404
      ) {
        throw unavailable(`subscription delete answered ${response.status}`);
      }
      return {};
    });
  }

  private async call(
    query: SwapQuery,
    work: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const { operator } = query;
    try {
      return await this.outbound.throughBreaker(
        // An operator that says "unknown number" or "not applicable" is healthy.
        {
          family: 'swap',
          operatorId: operator.id,
          isHealthy: (error) =>
            error instanceof SwapLookupError &&
            (error.reason === 'identifier_not_found' || error.reason === 'service_not_applicable'),
        },
        work,
      );
    } catch (error) {
      if (isBreakerOpen(error)) {
        this.outbound.recorder(query.upstream, operator.id).note('circuit_open');
        throw unavailable('circuit breaker open');
      }
      if (error instanceof SwapLookupError) {
        if (error.reason === 'unavailable')
          this.logger.warn(`operator ${operator.id}: ${error.message}`);
        throw error;
      }
      this.logger.error(
        `operator ${operator.id}: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw unavailable('unexpected adapter failure');
    }
  }

  /** One lookup: token, call, and on a 401 one fresh token and one more call. */
  private async exchange(
    query: SwapQuery,
    path: string,
    payload: object,
  ): Promise<Record<string, unknown>> {
    const response = await this.authorized(query, 'POST', path, payload);
    if (response.status === 200) {
      if (!isRecord(response.data)) throw unavailable('answer is not a JSON object');
      return response.data;
    }
    const code = isRecord(response.data) ? response.data.code : undefined;
    if (response.status === 404 && code === 'IDENTIFIER_NOT_FOUND') {
      throw new SwapLookupError('identifier_not_found', 'operator does not know the number');
    }
    if (response.status === 422 && code === 'SERVICE_NOT_APPLICABLE') {
      throw new SwapLookupError(
        'service_not_applicable',
        'operator says the service does not apply',
      );
    }
    throw unavailable(`operator answered ${response.status}`);
  }

  /** One call with the cached token, and on a 401 one fresh token and one more call. */
  private async authorized(
    query: SwapQuery,
    method: 'POST' | 'DELETE',
    path: string,
    payload: object | undefined,
  ): Promise<AxiosResponse<unknown>> {
    const settings = this.settingsOf(query.operator);
    const response = await this.send(
      query,
      settings,
      method,
      path,
      payload,
      await this.token(query, settings, false),
    );
    if (response.status !== 401) return response;
    return this.send(
      query,
      settings,
      method,
      path,
      payload,
      await this.token(query, settings, true),
    );
  }

  private async send(
    query: SwapQuery,
    settings: CamaraSettings,
    method: 'POST' | 'DELETE',
    path: string,
    payload: object | undefined,
    token: string,
  ): Promise<AxiosResponse<unknown>> {
    const attempt = this.outbound.recorder(query.upstream, query.operator.id).attempt();
    try {
      const response = await firstValueFrom(
        this.http.request<unknown>({
          method,
          url: joinUrl(settings.baseUrl, path),
          data: payload,
          headers: {
            authorization: `Bearer ${token}`,
            'x-correlator': query.correlationId,
            accept: 'application/json',
          },
          signal: query.signal,
          validateStatus: () => true,
          maxRedirects: 0,
        }),
      );
      attempt.end(response.status);
      return response;
    } catch (error) {
      throw this.transportFailure(query, attempt, error);
    }
  }

  private async token(
    query: SwapQuery,
    settings: CamaraSettings,
    forceRefresh: boolean,
  ): Promise<string> {
    const key = `${query.operator.id}\n${settings.tokenUrl}\n${settings.clientId}`;
    const cached = this.tokens.get(key);
    if (forceRefresh) this.tokens.delete(key);
    else if (cached && cached.refreshAt > this.clock.now().getTime()) return cached.value;
    // Concurrent lookups share one token request instead of each fetching its own.
    let pending = this.pendingTokens.get(key);
    if (!pending) {
      pending = this.fetchToken(query, settings, key).finally(() => this.pendingTokens.delete(key));
      this.pendingTokens.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(
    query: SwapQuery,
    settings: CamaraSettings,
    key: string,
  ): Promise<string> {
    const secret = await this.secrets.get(query.operator.id, CAMARA_CLIENT_SECRET);
    if (!secret) throw unavailable('no OAuth client secret is stored for this operator');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (settings.scope) form.set('scope', settings.scope);
    const attempt = this.outbound.recorder(query.upstream, query.operator.id).attempt();
    let response: AxiosResponse<unknown>;
    try {
      response = await firstValueFrom(
        this.http.post<unknown>(settings.tokenUrl, form.toString(), {
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          auth: { username: settings.clientId, password: secret },
          signal: query.signal,
          validateStatus: () => true,
          maxRedirects: 0,
        }),
      );
    } catch (error) {
      throw this.transportFailure(query, attempt, error);
    }
    const body = response.data;
    if (
      response.status !== 200 ||
      !isRecord(body) ||
      typeof body.access_token !== 'string' ||
      body.access_token === ''
    ) {
      attempt.end(`token_${response.status}`);
      throw unavailable(`token endpoint answered ${response.status} without a usable token`);
    }
    const lifetime =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    // Refresh a little before the operator's expiry, so a token never dies in flight.
    const margin = Math.min(30, lifetime / 10);
    this.tokens.set(key, {
      value: body.access_token,
      refreshAt: this.clock.now().getTime() + (lifetime - margin) * 1000,
    });
    return body.access_token;
  }

  private transportFailure(
    query: SwapQuery,
    attempt: RecordedAttempt,
    error: unknown,
  ): SwapLookupError {
    const failure = transportFailureOf(error, query.signal);
    attempt.end(failure.label);
    if (failure.label === 'timeout') return new SwapLookupError('timeout', 'deadline passed');
    return unavailable(`transport failure: ${(error as { code?: string }).code ?? 'unknown'}`);
  }

  private settingsOf(operator: OperatorView): CamaraSettings {
    const parsed = parseOperatorSettings('camara', operator.settings, { unknownKeys: 'ignore' });
    if (!('settings' in parsed))
      throw unavailable('operator settings lack baseUrl, tokenUrl or clientId');
    return parsed.settings;
  }
}
