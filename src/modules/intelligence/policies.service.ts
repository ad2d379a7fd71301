import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { SERVICE_TYPES, type ServiceType } from '../verification/dto/verify.dto.js';
import type { BacktestRequestDto, BacktestResultDto, PolicyDto } from './dto/policy.dto.js';
import {
  completePolicy,
  defaultPolicy,
  DECISIONS,
  detect,
  DETECT_ACTIONS,
  evaluate,
  type DeepPartial,
  type Policy,
} from './intelligence-policy.js';
import type { Signals } from './intelligence-signals.js';
import { invalidPolicy, invalidRange } from './intelligence.errors.js';
import { IntelligenceRepository, type StoredPolicy } from './intelligence.repository.js';
import { LRUCache } from 'lru-cache';

export interface VersionedPolicy {
  serviceType: ServiceType;
  /** 0: the built-in default (no version stored yet). */
  version: number;
  policy: Policy;
  createdBy: string | null;
  createdAt: string | null;
}

const MAX_WINDOW_MS = 93 * 86_400_000;
/**
 * How long an instance answers from its cached policy. A change through this instance drops its
 * entry at once; another instance applies it within this many milliseconds (README "Policies").
 */
const POLICY_CACHE_TTL_MS = 5_000;
const POLICY_CACHE_MAX = 10_000;
const EXAMPLES = 5;
const DECISION_MEMO = 50_000;
/** A backtest reads up to 93 days of assessments: its own deadline (README "Backtest"). */
export const BACKTEST_DEADLINE_MS = 60_000;

/**
 * The clients' intelligence policies: one per service type, versioned (a change appends a
 * version, the newest applies), defaults built in; and backtests of drafts against stored signals.
 */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly repository: IntelligenceRepository,
    private readonly requests: RequestAudit,
    private readonly clock: Clock,
  ) {}

  /**
   * Per client and journey, the policy in force; least recently used entries go first, so many
   * clients' journeys cannot push out the ones in use. Concurrent reads of one journey share a query.
   */
  private readonly cache = new LRUCache<string, VersionedPolicy>({
    max: POLICY_CACHE_MAX,
    ttlResolution: 0, // the clock on every lookup, as CredentialCache
    ttl: POLICY_CACHE_TTL_MS,
    fetchMethod: async (key) => {
      const [clientId, serviceType] = key.split('\u0000') as [string, ServiceType];
      const stored = await this.repository.findActivePolicy(clientId, serviceType);
      return stored ? this.view(serviceType, stored) : this.defaultView(serviceType);
    },
    // A read in flight when a change drops the entry answers its caller but is not kept.
    ignoreFetchAbort: true,
  });

  /**
   * The policy in force for the client's journey (its newest version, else the default), from a
   * short-lived cache: it is read on every assessment, and changes are rare.
   */
  async activePolicy(clientId: string, serviceType: ServiceType): Promise<VersionedPolicy> {
    // A failed read is not remembered (lru-cache drops the entry of a rejected fetch).
    const policy = await this.cache.fetch(`${clientId}\u0000${serviceType}`);
    if (policy === undefined) throw new Error('policy read aborted');
    return policy;
  }

  /** The policy in force for each service type, keyed by it. */
  async activePolicies(clientId: string): Promise<Record<ServiceType, VersionedPolicy>> {
    const stored = new Map(
      (await this.repository.listActivePolicies(clientId)).map((row) => [row.serviceType, row]),
    );
    return Object.fromEntries(
      SERVICE_TYPES.map((serviceType) => {
        const row = stored.get(serviceType);
        return [serviceType, row ? this.view(serviceType, row) : this.defaultView(serviceType)];
      }),
    ) as Record<ServiceType, VersionedPolicy>;
  }

  /**
   * Every stored version of the client's journey, newest first, up to `limit`; the built-in
   * default (version 0) closes the list, since it applied before version 1.
   */
  async versions(
    clientId: string,
    serviceType: ServiceType,
    limit: number,
  ): Promise<VersionedPolicy[]> {
    const stored = await this.repository.listPolicyVersions(clientId, serviceType, limit);
    const views = stored.map((row) => this.view(serviceType, row));
    return stored.length < limit ? [...views, this.defaultView(serviceType)] : views;
  }

  /** Stores the draft (over the journey's defaults) as the next version, with the request's audit event. */
  async change(
    ctx: RequestContext,
    clientId: string,
    serviceType: ServiceType,
    draft: PolicyDto,
    createdBy: string,
  ): Promise<VersionedPolicy> {
    const policy = checked(serviceType, draft);
    ctx.audit.serviceType = serviceType;
    ctx.audit.detail = { clientId, serviceType };
    const stored = await this.requests.transaction(
      ctx,
      (tx) =>
        this.repository.appendPolicy(
          tx,
          clientId,
          serviceType,
          policy,
          createdBy,
          this.clock.now(),
        ),
      (result) => {
        ctx.audit.detail = { clientId, serviceType, version: result.version };
        return { status: 200, verdict: { version: result.version } };
      },
    );
    this.cache.delete(`${clientId}\u0000${serviceType}`);
    return this.view(serviceType, stored);
  }

  /**
   * Replays the client's assessments of a window under a draft, from their stored signals, with
   * the very function that answered them: exact, and a matrix of current × draft decisions.
   */
  async backtest(clientId: string, request: BacktestRequestDto): Promise<BacktestResultDto> {
    const span = request.to.getTime() - request.from.getTime();
    if (!(span > 0) || span > MAX_WINDOW_MS) throw invalidRange();
    const product = request.product ?? 'SHIELD';
    const draft = checked(request.serviceType, request.draft);
    const cells = new Map<
      string,
      { current: string; draft: string; count: number; examples: string[] }
    >();
    const versions = new Set<number>();
    let total = 0;
    let changed = 0;
    // The draft is a pure function of the signals: assessments with the same stored signals (the
    // same journey seen again) are decided once. Bounded, so memory stays flat on any window.
    const decisions = new Map<string, string>();
    const decide = (text: string): string => {
      let decided = decisions.get(text);
      if (decided === undefined) {
        const signals = JSON.parse(text) as Signals;
        decided =
          product === 'DETECT'
            ? detect(signals, draft).recommendedAction
            : evaluate(signals, draft).decision;
        if (decisions.size >= DECISION_MEMO) decisions.clear();
        decisions.set(text, decided);
      }
      return decided;
    };
    for await (const page of this.repository.replayable(
      clientId,
      product.toLowerCase(),
      request.serviceType,
      request.from,
      request.to,
    )) {
      for (const row of page) {
        const decided = decide(row.signals);
        total += 1;
        if (decided !== row.decision) changed += 1;
        versions.add(row.policy_version);
        const key = `${row.decision}>${decided}`;
        let cell = cells.get(key);
        if (!cell)
          cells.set(
            key,
            (cell = { current: row.decision, draft: decided, count: 0, examples: [] }),
          );
        cell.count += 1;
        if (cell.examples.length < EXAMPLES) cell.examples.push(row.transaction_id);
      }
    }
    const order: readonly string[] = product === 'DETECT' ? DETECT_ACTIONS : DECISIONS;
    const rank = (decision: string): number => order.indexOf(decision);
    return {
      from: request.from.toISOString(),
      to: request.to.toISOString(),
      serviceType: request.serviceType,
      product,
      total,
      changed,
      currentVersions: [...versions].sort((a, b) => a - b),
      matrix: [...cells.values()].sort(
        (a, b) => rank(a.current) - rank(b.current) || rank(a.draft) - rank(b.draft),
      ),
      draftPolicy: draft,
    };
  }

  private view(serviceType: ServiceType, stored: StoredPolicy): VersionedPolicy {
    return {
      serviceType,
      version: stored.version,
      // Stored complete; completing again lets defaults added later reach older versions.
      policy: completePolicy(serviceType, stored.policy as DeepPartial<Policy>),
      createdBy: stored.createdBy,
      createdAt: stored.createdAt.toISOString(),
    };
  }

  private defaultView(serviceType: ServiceType): VersionedPolicy {
    return {
      serviceType,
      version: 0,
      policy: defaultPolicy(serviceType),
      createdBy: null,
      createdAt: null,
    };
  }
}

/** The complete policy of a draft, refused when its thresholds are out of order. */
function checked(serviceType: ServiceType, draft: PolicyDto): Policy {
  const policy = completePolicy(serviceType, draft);
  const t = policy.thresholds;
  if (!(t.challenge <= t.review && t.review <= t.block))
    throw invalidPolicy('thresholds must satisfy challenge ≤ review ≤ block');
  const d = policy.detect;
  if (!(d.monitor <= d.challenge && d.challenge <= d.block))
    throw invalidPolicy('detect thresholds must satisfy monitor ≤ challenge ≤ block');
  return policy;
}
