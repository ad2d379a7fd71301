import { Injectable } from '@nestjs/common';
import type { ClientEnvironment } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { DeadlineExceededError } from '../../common/outbound/deadline.js';
import { OutboundClient } from '../../common/outbound/outbound-client.js';
import type { AuditFacts } from '../../common/http/audit-facts.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import {
  CamaraSwapAdapter,
  type UpstreamSubscriptionRequest,
} from './adapters/camara-swap.adapter.js';
import type { UpstreamCall } from '../../common/http/audit-facts.js';
import { SandboxSwapAdapter } from './adapters/sandbox-swap.adapter.js';
import type { SwapAdapter, SwapDate, SwapKind, SwapQuery } from './adapters/swap-adapter.js';
import {
  missingIdentifierError,
  monitoredPeriodExceededError,
  notASandboxNumberError,
  SwapLookupError,
  swapLookupApiError,
  type SwapContract,
} from './sim-swap.errors.js';
import {
  SANDBOX_OVERRIDE_RESET,
  SANDBOX_OVERRIDE_SET,
  SimSwapRepository,
} from './sim-swap.repository.js';
import type { UnitWrite } from '../audit/audit.service.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { PushService } from '../push/push.service.js';
import {
  elapsedSeconds,
  rangeBeyondMonitoredPeriod,
  rangeOf,
  type SwapRange,
} from './swap-buckets.js';

/** Who asks, for errors in the right contract and the audit event. */
export interface LookupContext {
  contract: SwapContract;
  facts: AuditFacts;
  correlationId: string;
  /** The caller's environment: a LIVE client is never answered from sandbox data. */
  clientEnvironment: ClientEnvironment;
}

/** The lookup context of a request; a caller other than a client counts as LIVE (never sandbox data). */
export function lookupContextOf(ctx: RequestContext, contract: SwapContract): LookupContext {
  const caller = ctx.caller;
  return {
    contract,
    facts: ctx.audit,
    correlationId: ctx.correlationId,
    clientEnvironment: caller?.kind === 'client' ? caller.environment : 'LIVE',
  };
}

/** A system call to an operator (no client request): its correlation id, and where its calls are summarised for the audit event. */
export interface OperatorCallContext {
  correlationId: string;
  upstream: UpstreamCall[];
}

export type IdentityMatchServiceType = 'timestamp' | '24h' | 'range';

export type IdentityMatchAnswer =
  { state: 'success'; timestamp: string | null } | { '24h': boolean } | { range: SwapRange };

export interface SandboxNumberView {
  phoneNumber: string;
  latestSimChange: string | null;
  latestDeviceChange: string | null;
}

const DAY_SECONDS = 86_400;

/**
 * Answers SIM-swap and device-swap questions for both wire contracts: routes the number to its
 * operator (longest prefix), asks that operator's adapter within the deadline, and records what
 * happened in the request's audit facts. Operators' failures become errors, never verdicts.
 */
@Injectable()
export class SimSwapService {
  constructor(
    private readonly operators: OperatorsService,
    private readonly sandbox: SandboxSwapAdapter,
    private readonly camara: CamaraSwapAdapter,
    private readonly repository: SimSwapRepository,
    private readonly outbound: OutboundClient,
    private readonly clock: Clock,
    private readonly push: PushService,
    private readonly requestAudit: RequestAudit,
  ) {}

  /** CAMARA `check`: was there a change within the last `maxAgeHours` hours? */
  async check(
    kind: SwapKind,
    phoneNumber: string | undefined,
    maxAgeHours: number,
    context: LookupContext,
  ): Promise<boolean> {
    const number = this.requireNumber(phoneNumber, context);
    const operator = await this.route(number, context);
    const monitored = operator.monitoredPeriodDays;
    if (monitored !== null && maxAgeHours > monitored * 24)
      throw monitoredPeriodExceededError(monitored);
    const swapped = await this.ask(operator, kind, number, context, (adapter, query) =>
      adapter.check(query, maxAgeHours),
    );
    context.facts.verdict = { swapped, maxAge: maxAgeHours };
    return swapped;
  }

  /** CAMARA `retrieve-date`. */
  async retrieveDate(
    kind: SwapKind,
    phoneNumber: string | undefined,
    context: LookupContext,
  ): Promise<SwapDate> {
    const number = this.requireNumber(phoneNumber, context);
    const operator = await this.route(number, context);
    const date = await this.ask(operator, kind, number, context, (adapter, query) =>
      adapter.retrieveDate(query),
    );
    const field = kind === 'sim' ? 'latestSimChange' : 'latestDeviceChange';
    context.facts.verdict = {
      [field]: date.latestChange?.toISOString() ?? null,
      ...(date.monitoredPeriodDays === undefined
        ? {}
        : { monitoredPeriod: date.monitoredPeriodDays }),
    };
    return date;
  }

  /**
   * Identity Match: all three answers come from one retrieve-date, so they always agree. A
   * never-swapped SIM answers its activation date (a brand-new SIM is as telling as a swapped
   * one); beyond an operator's legal monitoring limit the date is unknown (`timestamp: null`,
   * `24h: false`, range "older than the limit"); a number never associated with a SIM is unknown (404).
   */
  async identityMatch(
    phoneNumber: string,
    serviceType: IdentityMatchServiceType,
    context: LookupContext,
  ): Promise<IdentityMatchAnswer> {
    context.facts.serviceType = serviceType;
    const operator = await this.route(this.requireNumber(phoneNumber, context), context);
    const date = await this.ask(operator, 'sim', phoneNumber, context, (adapter, query) =>
      adapter.retrieveDate(query),
    );
    if (date.latestChange === null && date.monitoredPeriodDays === undefined) {
      throw swapLookupApiError(
        new SwapLookupError('identifier_not_found', 'never associated with a SIM'),
        context.contract,
      );
    }
    const elapsed =
      date.latestChange === null ? undefined : elapsedSeconds(date.latestChange, this.clock.now());
    let answer: IdentityMatchAnswer;
    switch (serviceType) {
      case 'timestamp':
        answer = { state: 'success', timestamp: date.latestChange?.toISOString() ?? null };
        break;
      case '24h':
        answer = { '24h': elapsed !== undefined && elapsed <= DAY_SECONDS };
        break;
      case 'range':
        answer = {
          range:
            elapsed === undefined
              ? rangeBeyondMonitoredPeriod(date.monitoredPeriodDays ?? 0)
              : rangeOf(elapsed),
        };
        break;
    }
    // The verdict is the answer without the envelope's `state`.
    context.facts.verdict = 'state' in answer ? { timestamp: answer.timestamp } : { ...answer };
    return answer;
  }

  /**
   * Admin: give a sandbox number these swap dates (null = never changed). A date that changes is
   * a swap: its notifications to the number's subscriptions go to the push outbox in the same
   * unit of work as the override and the request's audit event, so none is lost or sent for a
   * change that did not commit.
   */
  async setSandboxNumber(
    ctx: RequestContext,
    phoneNumber: string,
    latestSimChange: Date | null,
    latestDeviceChange: Date | null,
  ): Promise<SandboxNumberView> {
    await this.requireSandboxNumber(phoneNumber);
    const before = await this.repository.findSandboxOverride(phoneNumber);
    const writes: UnitWrite[] = [
      {
        kind: SANDBOX_OVERRIDE_SET,
        row: {
          phone_number: phoneNumber,
          latest_sim_change: latestSimChange?.toISOString() ?? null,
          latest_device_change: latestDeviceChange?.toISOString() ?? null,
          at: this.clock.now().toISOString(),
        },
      },
    ];
    const changed = (next: Date | null, previous: Date | null | undefined): next is Date =>
      next !== null && next.getTime() !== previous?.getTime();
    if (changed(latestSimChange, before?.latestSimChange))
      writes.push(...this.push.swapNotificationWrites('sim', phoneNumber, latestSimChange));
    if (changed(latestDeviceChange, before?.latestDeviceChange))
      writes.push(...this.push.swapNotificationWrites('device', phoneNumber, latestDeviceChange));
    const view = {
      phoneNumber,
      latestSimChange: latestSimChange?.toISOString() ?? null,
      latestDeviceChange: latestDeviceChange?.toISOString() ?? null,
    };
    await this.requestAudit.commit(ctx, { writes, ok: { status: 200 } });
    this.repository.forgetOverrides();
    return view;
  }

  /** Admin: back to the built-in table (in the unit of work of the request). */
  async resetSandboxNumber(ctx: RequestContext, phoneNumber: string): Promise<void> {
    await this.requireSandboxNumber(phoneNumber);
    await this.requestAudit.commit(ctx, {
      writes: [{ kind: SANDBOX_OVERRIDE_RESET, row: { phone_number: phoneNumber } }],
      ok: { status: 204 },
    });
    this.repository.forgetOverrides();
  }

  /**
   * Subscribes the gateway at a `camara` operator to a number's SIM swaps (CAMARA SIM Swap
   * Subscriptions), with the same token, deadline and circuit breaker as a lookup; answers the
   * operator's subscription id. Failures are SwapLookupErrors (the caller falls back to polling).
   */
  subscribeUpstream(
    operator: OperatorView,
    phoneNumber: string,
    request: UpstreamSubscriptionRequest,
    call: OperatorCallContext,
  ): Promise<string> {
    return this.withDeadline(operator, 'sim', phoneNumber, call, (query) =>
      this.camara.subscribe(query, request),
    );
  }

  /** Deletes the gateway's subscription at the operator (one it no longer knows counts as deleted). */
  unsubscribeUpstream(
    operator: OperatorView,
    phoneNumber: string,
    upstreamId: string,
    call: OperatorCallContext,
  ): Promise<void> {
    return this.withDeadline(operator, 'sim', phoneNumber, call, (query) =>
      this.camara.unsubscribe(query, upstreamId),
    );
  }

  private async requireSandboxNumber(phoneNumber: string): Promise<void> {
    const operator = await this.operators.routeByPhoneNumber(phoneNumber);
    if (operator?.adapterKind !== 'sandbox') throw notASandboxNumberError();
  }

  private requireNumber(phoneNumber: string | undefined, context: LookupContext): string {
    // Our tokens are two-legged (they name a client, not a subscriber), so the body must name the number.
    if (phoneNumber === undefined) throw missingIdentifierError();
    context.facts.phoneNumber = phoneNumber;
    return phoneNumber;
  }

  private async route(phoneNumber: string, context: LookupContext): Promise<OperatorView> {
    const routed = await this.operators.routeByPhoneNumber(phoneNumber);
    // Sandbox operators answer made-up history: a LIVE client must get "unknown", never a fake verdict.
    const operator =
      routed?.adapterKind === 'sandbox' && context.clientEnvironment === 'LIVE'
        ? undefined
        : routed;
    if (!operator) {
      throw swapLookupApiError(
        new SwapLookupError('identifier_not_found', 'no operator'),
        context.contract,
      );
    }
    context.facts.operatorId = operator.id;
    return operator;
  }

  private adapterFor(operator: OperatorView): SwapAdapter | undefined {
    switch (operator.adapterKind) {
      case 'sandbox':
        return this.sandbox;
      case 'camara':
        return this.camara;
      default:
        // The proprietary `upstream` adapter only does number verification.
        return undefined;
    }
  }

  /** Runs one adapter operation within the deadline; failures become the contract's errors. */
  private async ask<T>(
    operator: OperatorView,
    kind: SwapKind,
    phoneNumber: string,
    context: LookupContext,
    operation: (adapter: SwapAdapter, query: SwapQuery) => Promise<T>,
  ): Promise<T> {
    const upstream = (context.facts.upstream ??= []);
    const adapter = this.adapterFor(operator);
    if (!adapter) {
      throw swapLookupApiError(
        new SwapLookupError('service_not_applicable', 'operator offers no swap API'),
        context.contract,
      );
    }
    try {
      return await this.withDeadline(
        operator,
        kind,
        phoneNumber,
        { correlationId: context.correlationId, upstream },
        (query) => operation(adapter, query),
      );
    } catch (error) {
      if (error instanceof SwapLookupError) throw swapLookupApiError(error, context.contract);
      throw error;
    }
  }

  /**
   * Runs one operator call within the swap family's deadline (OPERATOR_DEADLINE_MS; token and retry
   * included): one signal for the whole call, answered at the deadline even if an adapter ignores
   * it. Failures stay SwapLookupErrors.
   */
  private async withDeadline<T>(
    operator: OperatorView,
    kind: SwapKind,
    phoneNumber: string,
    call: OperatorCallContext,
    operation: (query: SwapQuery) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.outbound.withDeadline('swap', (signal) =>
        operation({
          operator,
          kind,
          phoneNumber,
          signal,
          correlationId: call.correlationId,
          upstream: call.upstream,
        }),
      );
    } catch (error) {
      if (error instanceof DeadlineExceededError)
        throw new SwapLookupError('timeout', 'deadline passed');
      throw error;
    }
  }
}
