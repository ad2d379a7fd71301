/**
 * The one client for calls to operators (verify upstreams, CAMARA operators; later the push
 * module's upstream subscriptions). What a caller uses:
 *
 * - `settings(family)`: deadline and breaker settings (OPERATOR_DEADLINE_MS, OPERATOR_BREAKER_*,
 *   with the family's deprecated aliases).
 * - `withDeadline(family, work, parent?)`: runs `work(signal)` under one AbortSignal
 *   (`AbortSignal.any` of the deadline and the parent); rejects with DeadlineExceededError at the
 *   deadline even if `work` ignores the signal.
 * - `throughBreaker({family, operatorId, isHealthy?}, work)`: runs `work` through that operator's
 *   opossum breaker (one registry per application, keyed by family and operator); rejects with
 *   opossum's EOPENBREAKER error (test with `isBreakerOpen`) while the circuit is open.
 *   `isHealthy(error)` marks failures that are the caller's fault, not the operator's.
 * - `recorder(upstream, operatorId)`: a CallRecorder that writes the audit's upstream summary.
 * - `joinUrl(base, path)` and `transportFailureOf(error, signal)` ('timeout' | 'network').
 *
 * Verdicts are the caller's business: nothing here turns a failure into an answer.
 */
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { Environment, type OutboundFamily, type OutboundSettings } from '../config/environment.js';
import type { UpstreamCall } from '../http/audit-facts.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { CallRecorder } from './call-recorder.js';
import { withDeadline } from './deadline.js';

type Work = () => Promise<unknown>;

/** The metrics label of each family's breakers (as before issue 18, so dashboards keep working). */
const METRIC_LABELS: Record<OutboundFamily, string> = { verify: 'verify', swap: 'camara_swap' };
/** opossum's breaker names (as before: the verify ones bare, the CAMARA ones prefixed). */
const BREAKER_NAMES: Record<OutboundFamily, (operatorId: string) => string> = {
  verify: (operatorId) => operatorId,
  swap: (operatorId) => `camara:${operatorId}`,
};

export interface BreakerKey {
  family: OutboundFamily;
  operatorId: string;
  /** A failure that says nothing about the operator's health (e.g. "unknown number"); default: none. */
  isHealthy?: (error: unknown) => boolean;
}

/** The circuit is open: the operator was not called. */
export function isBreakerOpen(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EOPENBREAKER';
}

/** How a request that got no answer failed: cut by the deadline, or lost on the way. */
export interface TransportFailure {
  label: 'timeout' | 'network';
  /** The connection was refused: the request provably never reached the operator. */
  neverSent: boolean;
}

export function transportFailureOf(error: unknown, signal: AbortSignal): TransportFailure {
  if (signal.aborted) return { label: 'timeout', neverSent: false };
  return {
    label: 'network',
    neverSent: (error as { code?: unknown } | null)?.code === 'ECONNREFUSED',
  };
}

/** `path` under `base`, whether or not `base` ends in a slash (a base URL names a folder). */
export function joinUrl(base: string, path: string): string {
  return new URL(path, base.endsWith('/') ? base : `${base}/`).toString();
}

@Injectable()
export class OutboundClient implements OnModuleDestroy {
  private readonly breakers = new Map<string, CircuitBreaker<[Work]>>();

  constructor(
    private readonly environment: Environment,
    private readonly metrics: MetricsService,
  ) {}

  onModuleDestroy(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  settings(family: OutboundFamily): OutboundSettings {
    return this.environment.outboundSettings(family);
  }

  withDeadline<T>(
    family: OutboundFamily,
    work: (signal: AbortSignal) => Promise<T>,
    parent?: AbortSignal,
  ): Promise<T> {
    return withDeadline(this.settings(family).deadlineMs, work, parent);
  }

  async throughBreaker<T>(key: BreakerKey, work: () => Promise<T>): Promise<T> {
    return (await this.breakerOf(key).fire(work)) as T;
  }

  recorder(upstream: UpstreamCall[], operatorId: string): CallRecorder {
    return new CallRecorder(upstream, operatorId);
  }

  private breakerOf(key: BreakerKey): CircuitBreaker<[Work]> {
    const id = `${key.family}\u0000${key.operatorId}`;
    let breaker = this.breakers.get(id);
    if (!breaker) {
      const settings = this.settings(key.family);
      const isHealthy = key.isHealthy;
      breaker = new CircuitBreaker<[Work], unknown>((work) => work(), {
        name: BREAKER_NAMES[key.family](key.operatorId),
        // The deadline is the caller's AbortSignal, which also cancels the request; opossum's timeout would not.
        timeout: false,
        errorThresholdPercentage: settings.breakerErrorPercent,
        volumeThreshold: settings.breakerVolumeThreshold,
        resetTimeout: settings.breakerResetMs,
        rollingCountTimeout: 10_000,
        ...(isHealthy && { errorFilter: (error: unknown) => isHealthy(error) }),
      });
      this.breakers.set(id, breaker);
      this.metrics.watchBreaker(METRIC_LABELS[key.family], key.operatorId, breaker);
    }
    return breaker;
  }
}
