import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import type { AuthenticatedClient } from '../../../common/auth/caller.js';
import { Environment } from '../../../common/config/environment.js';
import type { AuditFacts } from '../../../common/http/audit-facts.js';
import type { RequestContext } from '../../../common/http/request-context.js';
import type { CallRecorder } from '../../../common/outbound/call-recorder.js';
import { DeadlineExceededError } from '../../../common/outbound/deadline.js';
import {
  isBreakerOpen,
  joinUrl,
  OutboundClient,
  transportFailureOf,
} from '../../../common/outbound/outbound-client.js';
import { OperatorSecretsService } from '../../operators/operator-secrets.service.js';
import { parseOperatorSettings } from '../../operators/dto/operator-settings.js';
import type { OperatorView } from '../../operators/operators.service.js';
import { BalanceService } from '../balance.service.js';
import {
  insufficientBalance,
  invalidProof,
  NegativeVerdicts,
  operatorUnavailable,
} from '../verification.errors.js';
import type { Judged, VerificationAdapter, VerifyInput } from './verification-adapter.js';

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
 * Operators with adapter `upstream`: an Authmatech-compatible service that enriches and issues
 * proofs itself, asked for the verdict. Through the OutboundClient: one deadline per call
 * (retries included) and the operator's circuit breaker, so a dead upstream is answered 503 at
 * once instead of at every deadline. Failures become 503 OPERATOR_UNAVAILABLE; no path invents a verdict.
 */
@Injectable()
export class UpstreamVerificationAdapter implements VerificationAdapter {
  private readonly logger = new Logger(UpstreamVerificationAdapter.name);

  constructor(
    private readonly environment: Environment,
    private readonly http: HttpService,
    private readonly secrets: OperatorSecretsService,
    private readonly outbound: OutboundClient,
    private readonly balances: BalanceService,
  ) {}

  /** Upstream operators enrich at the upstream service, which issues its own proofs: the gateway vouches for nobody. */
  identifies(): Promise<boolean> {
    return Promise.resolve(false);
  }

  async verify(
    ctx: RequestContext,
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
  ): Promise<Judged> {
    // The upstream charges per call: a client without credit is refused before it is called.
    // (Concurrent requests may still reach it on the last credit; only one of them is answered.)
    if (client.environment === 'LIVE' && !(await this.balances.hasCredit(client.clientId)))
      throw insufficientBalance();
    const upstream = await this.upstreamVerify(
      operator,
      { ...input },
      ctx.audit,
      ctx.correlationId,
    );
    if (upstream.validNumber) return { verdict: { validNumber: true } };
    const reason = upstream.reason ?? 'UPSTREAM_NEGATIVE';
    const known = (NegativeVerdicts as Partial<Record<string, string>>)[reason];
    return {
      verdict: { validNumber: false, reason, message: known ?? NegativeVerdicts.UPSTREAM_NEGATIVE },
    };
  }

  /** Forwards a verification to the operator's upstream and returns its verdict. */
  async upstreamVerify(
    operator: OperatorView,
    request: UpstreamVerifyRequest,
    facts: AuditFacts,
    correlationId: string,
  ): Promise<UpstreamVerdict> {
    const recorder = this.outbound.recorder((facts.upstream ??= []), operator.id);
    const target = await this.targetOf(operator, request.operatorId);
    if (!target) {
      this.logger.warn(
        `operator ${operator.id} has no complete upstream configuration (settings.baseUrl, settings.clientId, secret apiKey)`,
      );
      recorder.note('misconfigured');
      throw operatorUnavailable();
    }
    try {
      return await this.outbound.throughBreaker(
        // A malformed proof is the caller's fault, not a sign of a failing upstream.
        {
          family: 'verify',
          operatorId: operator.id,
          isHealthy: (error) => error instanceof UpstreamRejectedProof,
        },
        () =>
          this.callUpstream(
            target,
            { ...request, operatorId: target.operatorId },
            recorder,
            correlationId,
          ),
      );
    } catch (error) {
      if (error instanceof UpstreamRejectedProof) throw invalidProof();
      if (isBreakerOpen(error)) recorder.note('circuit_open');
      throw operatorUnavailable();
    }
  }

  private async targetOf(
    operator: OperatorView,
    requestedOperatorId: string,
  ): Promise<UpstreamTarget | undefined> {
    const parsed = parseOperatorSettings('upstream', operator.settings, { unknownKeys: 'ignore' });
    if (!('settings' in parsed)) return undefined;
    const { baseUrl, clientId, upstreamOperatorId } = parsed.settings;
    const apiKey = await this.secrets.get(operator.id, 'apiKey');
    if (!apiKey) return undefined;
    return {
      url: joinUrl(baseUrl, 'v1/api/verify?maskMobile=false'),
      clientId,
      apiKey,
      operatorId: upstreamOperatorId ?? requestedOperatorId,
    };
  }

  /**
   * One deadline for all attempts. Only a refused connection is retried: the request never
   * reached the upstream, whereas a verify that did reach it may have spent the proof there.
   */
  private async callUpstream(
    target: UpstreamTarget,
    request: UpstreamVerifyRequest,
    recorder: CallRecorder,
    correlationId: string,
  ): Promise<UpstreamVerdict> {
    try {
      return await this.outbound.withDeadline('verify', async (signal) => {
        for (let attempt = 0; ; attempt += 1) {
          const recorded = recorder.attempt();
          try {
            const verdict = await this.attempt(target, request, correlationId, signal);
            recorded.end(200);
            return verdict;
          } catch (error) {
            if (error instanceof UpstreamRejectedProof) {
              recorded.end(400);
              throw error;
            }
            const failure =
              error instanceof UpstreamFailure ? error : this.transportFailure(error, signal);
            recorded.end(failure.label);
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
      // The deadline may fire while an attempt is in flight: that attempt is recorded once, as a timeout.
      if (error instanceof DeadlineExceededError) recorder.expire();
      throw error;
    }
  }

  private transportFailure(error: unknown, signal: AbortSignal): UpstreamFailure {
    const failure = transportFailureOf(error, signal);
    return new UpstreamFailure(failure.label, failure.neverSent);
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
}
