import { HttpService } from '@nestjs/axios';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { isAxiosError } from 'axios';
import CircuitBreaker from 'opossum';
import { firstValueFrom } from 'rxjs';
import { Environment } from '../../../common/config/environment.js';
import { MetricsService } from '../../../common/metrics/metrics.service.js';
import type { AuditFacts } from '../../../common/http/audit-facts.js';
import { OperatorSecretsService } from '../../operators/operator-secrets.service.js';
import type { OperatorView } from '../../operators/operators.service.js';
import { invalidProof, operatorUnavailable } from '../verification.errors.js';
import { DeadlineExceededError, withDeadline } from './deadline.js';
import {
  sandboxOperatorLeg,
  SandboxOperatorUnavailableError,
  type SandboxOutcome,
} from './sandbox-operator.js';

/** What the gateway sends an Authmatech-compatible upstream (the seed's verify body). */
export interface UpstreamVerifyRequest {
  mobileNumber: string;
  encryptedMobileNumber: string;
  operatorId: string;
  serviceType: string;
  sdkSessionId?: string;
}

export interface UpstreamVerdict {
  validNumber: boolean;
  /** The upstream's WARNING code of a negative verdict, when it gave a well-formed one. */
  reason?: string;
}

/** A failed upstream attempt, labelled for the audit trail ('timeout', 'network', 'malformed', or the status). */
class UpstreamFailure extends Error {
  constructor(
    readonly label: string | number,
    /** True when the request provably never reached the upstream, so repeating it is safe. */
    readonly neverSent = false,
  ) {
    super(`upstream failure: ${label}`);
    this.name = 'UpstreamFailure';
  }
}

interface UpstreamTarget {
  url: string;
  clientId: string;
  apiKey: string;
  /** The operator id the upstream knows (settings.upstreamOperatorId, default: the same id). */
  operatorId: string;
  /** Ours, for the audit trail. */
  localOperatorId: string;
}

/** The upstream said the proof is not a proof (400): the caller's fault, relayed as our own 400. */
class UpstreamRejectedProof extends Error {
  constructor() {
    super('upstream rejected the proof as malformed');
    this.name = 'UpstreamRejectedProof';
  }
}

const REASON_PATTERN = /^[A-Za-z_]{1,64}$/;

/** Reads an Authmatech verify answer; anything but a well-formed 200 verdict is a failure, never a verdict. */
function parseVerdict(status: number, body: string): UpstreamVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new UpstreamFailure(status === 200 ? 'malformed' : status);
  }
  const envelope = parsed as {
    success?: unknown;
    data?: { validNumber?: unknown };
    messages?: { type?: unknown; code?: unknown }[];
  } | null; // JSON.parse of an upstream body: null (or a scalar) as easily as an object
  if (
    status === 400 &&
    Array.isArray(envelope?.messages) &&
    envelope.messages[0]?.code === invalidProof().code
  ) {
    throw new UpstreamRejectedProof();
  }
  if (status !== 200) throw new UpstreamFailure(status);
  if (envelope?.success !== true || typeof envelope.data?.validNumber !== 'boolean')
    throw new UpstreamFailure('malformed');
  const first = Array.isArray(envelope.messages) ? envelope.messages[0] : undefined;
  const reason =
    first?.type === 'WARNING' && typeof first.code === 'string' && REASON_PATTERN.test(first.code)
      ? first.code
      : undefined;
  return { validNumber: envelope.data.validNumber, ...(reason ? { reason } : {}) };
}

/**
 * Every call the gateway makes to an operator: the sandbox simulation and the `upstream` HTTP
 * adapter. Each call has one deadline (retries included); upstream calls go through a circuit
 * breaker per operator, so a dead upstream is answered 503 at once instead of at every deadline.
 * Failures become 503 OPERATOR_UNAVAILABLE; no path invents a verdict.
 */
@Injectable()
export class OperatorCallsService implements OnModuleDestroy {
  private readonly logger = new Logger(OperatorCallsService.name);
  private readonly breakers = new Map<
    string,
    CircuitBreaker<[UpstreamTarget, UpstreamVerifyRequest, AuditFacts, string], UpstreamVerdict>
  >();

  constructor(
    private readonly environment: Environment,
    private readonly http: HttpService,
    private readonly secrets: OperatorSecretsService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleDestroy(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  /** The sandbox operator's answer for `number` (README table), within the deadline. */
  async sandbox(
    operator: OperatorView,
    number: string,
    facts: AuditFacts,
  ): Promise<SandboxOutcome> {
    const started = performance.now();
    const deadline = this.environment.OPERATOR_DEADLINE_MS;
    try {
      const outcome = await withDeadline(deadline, (signal) =>
        sandboxOperatorLeg(number, deadline, signal),
      );
      this.note(facts, operator.id, 200, started);
      return outcome;
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        this.note(facts, operator.id, 'timeout', started);
        throw operatorUnavailable();
      }
      if (error instanceof SandboxOperatorUnavailableError) {
        this.note(facts, operator.id, 503, started);
        throw operatorUnavailable();
      }
      throw error;
    }
  }

  /** Forwards a verification to the operator's Authmatech-compatible upstream and returns its verdict. */
  async upstreamVerify(
    operator: OperatorView,
    request: UpstreamVerifyRequest,
    facts: AuditFacts,
    correlationId: string,
  ): Promise<UpstreamVerdict> {
    const target = await this.targetOf(operator, request.operatorId);
    if (!target) {
      this.logger.warn(
        `operator ${operator.id} has no complete upstream configuration (settings.baseUrl, settings.clientId, secret apiKey)`,
      );
      this.note(facts, operator.id, 'misconfigured', performance.now());
      throw operatorUnavailable();
    }
    const breaker = this.breakerOf(operator.id);
    try {
      return await breaker.fire(
        target,
        { ...request, operatorId: target.operatorId },
        facts,
        correlationId,
      );
    } catch (error) {
      if (error instanceof UpstreamRejectedProof) throw invalidProof();
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
        this.note(facts, operator.id, 'circuit_open', performance.now());
      }
      throw operatorUnavailable();
    }
  }

  private breakerOf(
    operatorId: string,
  ): CircuitBreaker<[UpstreamTarget, UpstreamVerifyRequest, AuditFacts, string], UpstreamVerdict> {
    let breaker = this.breakers.get(operatorId);
    if (!breaker) {
      breaker = new CircuitBreaker(
        (
          target: UpstreamTarget,
          request: UpstreamVerifyRequest,
          facts: AuditFacts,
          correlationId: string,
        ) => this.callUpstream(target, request, facts, correlationId),
        {
          name: operatorId,
          // The deadline is enforced by callUpstream (it aborts the request); opossum's own timeout would not.
          timeout: false,
          errorThresholdPercentage: 50,
          volumeThreshold: this.environment.CIRCUIT_BREAKER_VOLUME_THRESHOLD,
          resetTimeout: this.environment.CIRCUIT_BREAKER_RESET_MS,
          // A malformed proof is the caller's fault, not a sign of a failing upstream.
          errorFilter: (error: unknown) => error instanceof UpstreamRejectedProof,
        },
      );
      this.breakers.set(operatorId, breaker);
      this.metrics.watchBreaker('verify', operatorId, breaker);
    }
    return breaker;
  }

  private async targetOf(
    operator: OperatorView,
    requestedOperatorId: string,
  ): Promise<UpstreamTarget | undefined> {
    const { baseUrl, clientId, upstreamOperatorId } = operator.settings;
    if (typeof baseUrl !== 'string' || typeof clientId !== 'string') return undefined;
    const apiKey = await this.secrets.get(operator.id, 'apiKey');
    if (!apiKey) return undefined;
    return {
      url: new URL(
        'v1/api/verify?maskMobile=false',
        baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`,
      ).toString(),
      clientId,
      apiKey,
      operatorId: typeof upstreamOperatorId === 'string' ? upstreamOperatorId : requestedOperatorId,
      localOperatorId: operator.id,
    };
  }

  /**
   * One deadline for all attempts. Only a refused connection is retried: the request never
   * reached the upstream, whereas a verify that did reach it may have spent the proof there.
   */
  private async callUpstream(
    target: UpstreamTarget,
    request: UpstreamVerifyRequest,
    facts: AuditFacts,
    correlationId: string,
  ): Promise<UpstreamVerdict> {
    const operatorId = target.localOperatorId;
    // The deadline may fire while an attempt is in flight: that attempt is recorded once, as a timeout.
    const state = { attemptStarted: performance.now(), settled: false };
    const record = (status: number | string, started: number): void => {
      if (!state.settled) this.note(facts, operatorId, status, started);
    };
    try {
      return await withDeadline(this.environment.OPERATOR_DEADLINE_MS, async (signal) => {
        for (let attempt = 0; ; attempt += 1) {
          state.attemptStarted = performance.now();
          try {
            const verdict = await this.attempt(target, request, correlationId, signal);
            record(200, state.attemptStarted);
            return verdict;
          } catch (error) {
            if (error instanceof UpstreamRejectedProof) {
              record(400, state.attemptStarted);
              throw error;
            }
            const failure = this.classify(error, signal);
            record(failure.label, state.attemptStarted);
            if (
              !failure.neverSent ||
              attempt >= this.environment.UPSTREAM_RETRIES ||
              signal.aborted
            )
              throw failure;
          }
        }
      });
    } catch (error) {
      if (error instanceof DeadlineExceededError) record('timeout', state.attemptStarted);
      throw error;
    } finally {
      state.settled = true;
    }
  }

  private async attempt(
    target: UpstreamTarget,
    request: UpstreamVerifyRequest,
    correlationId: string,
    signal: AbortSignal,
  ): Promise<UpstreamVerdict> {
    const response = await firstValueFrom(
      this.http.post<string>(target.url, request, {
        headers: {
          'x-api-key': target.apiKey,
          'x-client-id': target.clientId,
          'x-correlator': correlationId,
          'content-type': 'application/json',
        },
        signal,
        // Read the body as text and judge it ourselves: a malformed body must not become a verdict.
        responseType: 'text',
        transformResponse: (body: unknown) => body,
        validateStatus: () => true,
        maxRedirects: 0,
        // Never through a proxy from the environment: upstream traffic goes where it is configured.
        proxy: false,
        maxContentLength: 64 * 1024,
      }),
    );
    return parseVerdict(response.status, typeof response.data === 'string' ? response.data : '');
  }

  private classify(error: unknown, signal: AbortSignal): UpstreamFailure {
    if (error instanceof UpstreamFailure) return error;
    if (signal.aborted) return new UpstreamFailure('timeout');
    if (isAxiosError(error)) return new UpstreamFailure('network', error.code === 'ECONNREFUSED');
    return new UpstreamFailure('network');
  }

  private note(
    facts: AuditFacts,
    operatorId: string,
    status: number | string,
    started: number,
  ): void {
    (facts.upstream ??= []).push({
      operatorId,
      status,
      latencyMs: Math.max(0, Math.round(performance.now() - started)),
    });
  }
}
