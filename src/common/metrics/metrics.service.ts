import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouteFacts } from '../http/request-context.js';
import { BoundChildren } from './bound-children.js';

/** Latency buckets (seconds) from a cache hit to the request deadline. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Other methods share the label `other`, so odd verbs cannot grow the registry (the cache keys them still). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Requests no route matched share one series, so a scan of random paths cannot grow the registry. */
const UNMATCHED = 'unmatched';

/** Verdict values that make a bounded label (ALLOW, LOW…); anything else (a timestamp) is left out. */
const ENUM_LIKE = /^[A-Z][A-Z_]{0,23}$/;

/** opossum's breaker, as far as the state gauge reads it. */
export interface ObservedBreaker {
  readonly opened: boolean;
  readonly halfOpen: boolean;
}

/**
 * The gateway's Prometheus registry (one per application instance, not prom-client's global one,
 * so several gateways in one process, as in the tests, keep their own figures). Modules register
 * their own metrics here (`registry`) or report through the few methods below; `/metrics` serves it.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  /** Keyed by the route's facts object (one per registered route), method and status. */
  private readonly observers = new BoundChildren(
    (route: RouteFacts | undefined, method: string, status: number) =>
      this.requests.labels({
        method: KNOWN_METHODS.has(method) ? method : 'other',
        route: route?.pattern ?? UNMATCHED,
        status: String(status),
      }),
  );
  private readonly events: Counter<'contract' | 'action' | 'outcome' | 'verdict'>;
  private readonly eventCounters = new BoundChildren(
    (contract: string, action: string, outcome: string, verdict: string) =>
      this.events.labels({ contract, action, outcome, verdict }),
  );
  private readonly verdictLabels = new BoundChildren(
    (key: string, value: boolean | string) => `${key}=${String(value)}`,
  );
  private readonly rateLimitRefusals: Counter<'contract' | 'limit'>;
  private readonly jobRuns: Counter<'job' | 'result'>;
  private readonly jobDuration: Histogram<'job'>;
  private readonly breakers = new Map<
    string,
    { upstream: string; operator: string; breaker: ObservedBreaker }
  >();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from a request’s arrival to its answer, by route pattern (never the raw path), method and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.events = new Counter({
      name: 'gateway_audit_events_total',
      help: 'Committed audit events (one per audited request), by contract, action, outcome (success, failure) and verdict (e.g. validNumber=true; none without a decision).',
      labelNames: ['contract', 'action', 'outcome', 'verdict'],
      registers: [this.registry],
    });
    this.rateLimitRefusals = new Counter({
      name: 'gateway_rate_limit_refusals_total',
      help: 'Requests refused with 429, by contract and the limit that refused them (client, jwt_key).',
      labelNames: ['contract', 'limit'],
      registers: [this.registry],
    });
    this.jobRuns = new Counter({
      name: 'gateway_job_runs_total',
      help: 'Scheduled job runs on this instance, by job and result (ok, failed).',
      labelNames: ['job', 'result'],
      registers: [this.registry],
    });
    this.jobDuration = new Histogram({
      name: 'gateway_job_duration_seconds',
      help: 'Duration of scheduled job runs on this instance.',
      labelNames: ['job'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [this.registry],
    });
    const breakers = this.breakers;
    new Gauge({
      name: 'gateway_upstream_breaker_state',
      help: 'Circuit breaker per upstream operator: 0 closed, 1 half-open (testing the operator), 2 open (calls refused).',
      labelNames: ['upstream', 'operator'],
      registers: [this.registry],
      collect(): void {
        this.reset();
        for (const { upstream, operator, breaker } of breakers.values()) {
          this.set({ upstream, operator }, breaker.opened ? 2 : breaker.halfOpen ? 1 : 0);
        }
      },
    });
  }

  /**
   * One finished request: a single histogram observation (its count is the request rate). The
   * child for (route, method, status) is looked up, not built, after the first request.
   */
  observeRequest(route: RouteFacts, method: string, status: number, seconds: number): void {
    // Unmatched requests get facts of their own each: they share the `undefined` key.
    this.observers
      .get(route.pattern === undefined ? undefined : route, method, status, 0)
      .observe(seconds);
  }

  /**
   * A committed audit event: counted by contract, action, outcome and its verdict's label (the
   * first boolean or enum-like field, `validNumber=false`, `swapped=true`; `none` without one).
   */
  countEvent(
    contract: string,
    action: string,
    outcome: string,
    verdict: Readonly<Record<string, unknown>> | undefined,
  ): void {
    let label = 'none';
    if (verdict) {
      label = '';
      for (const key in verdict) {
        const value = verdict[key];
        if (typeof value === 'boolean' || (typeof value === 'string' && ENUM_LIKE.test(value))) {
          label = this.verdictLabels.get(key, value, 0, 0);
          break;
        }
        label ||= key;
      }
    }
    this.eventCounters.get(contract, action, outcome, label).inc();
  }

  countRateLimitRefusal(contract: string, limit: 'client' | 'jwt_key'): void {
    this.rateLimitRefusals.inc({ contract, limit });
  }

  /** Runs a scheduled job's body, counting the run, its failure and its duration; rethrows. */
  async timeJob<T>(job: string, run: () => Promise<T>): Promise<T> {
    const stop = this.jobDuration.startTimer({ job });
    try {
      const result = await run();
      this.jobRuns.inc({ job, result: 'ok' });
      return result;
    } catch (error) {
      this.jobRuns.inc({ job, result: 'failed' });
      throw error;
    } finally {
      stop();
    }
  }

  /** Reports a circuit breaker's state on every scrape. */
  watchBreaker(upstream: string, operator: string, breaker: ObservedBreaker): void {
    this.breakers.set(`${upstream}\u0000${operator}`, { upstream, operator, breaker });
  }
}
