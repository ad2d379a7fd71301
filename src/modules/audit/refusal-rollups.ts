import type { Contract } from '../../common/errors/api-error.js';
import type { RequestContext } from '../../common/http/request-context.js';
import type { AuditEventInput } from './audit-event.js';

/** What a roll-up keys on and keeps of a refused request: routed ones and those the HTTP parser refused. */
export interface RefusedRequest {
  sourceIp: string | undefined;
  userAgent?: string;
  method: string;
  contract: Contract;
  /** The route pattern; undefined when no route matched (or the parser refused the request). */
  routePattern: string | undefined;
}

export function refusedRequestOf(ctx: RequestContext): RefusedRequest {
  return {
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
    method: ctx.method,
    contract: ctx.route.contract,
    routePattern: ctx.route.pattern,
  };
}

interface Tally {
  windowStart: number;
  /** Answers of this window recorded one event each. */
  recorded: number;
  /** Answers past the individual allowance, summed into the roll-up. */
  rolledUp: number;
  firstRolledUpAt: Date | undefined;
  lastRolledUpAt: Date | undefined;
  sample: { request: RefusedRequest; status: number; errorCode: string | undefined };
}

/** Keys kept at once; a flood from more addresses than this shares one key per answer. */
const MAX_KEYS = 10_000;

/**
 * Bounds the audit storage a flood of refused anonymous requests can take. Per source address,
 * answer (status and code) and route, the first `allowance` answers of each window get an event
 * each, committed before they leave like any other; the rest of the window are counted, and one
 * roll-up event per key (count, first and last seen) is appended when the window ends. The
 * evidence stays (who, what, how often, when) while the rows per flooding address stay constant.
 * Limit, documented: a roll-up still in memory when the process is killed is lost; what it
 * counted were refusals, which changed nothing.
 */
export class RefusalRollups {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly allowance: number,
    private readonly windowMs: number,
  ) {}

  /** True when the answer is counted in a roll-up instead of getting its own event. */
  rollsUp(
    request: RefusedRequest,
    status: number,
    errorCode: string | undefined,
    now: Date,
  ): boolean {
    if (this.allowance === 0) return false;
    const windowStart = Math.floor(now.getTime() / this.windowMs) * this.windowMs;
    const source = this.tallies.size >= MAX_KEYS ? '(many sources)' : request.sourceIp;
    const key = `${windowStart} ${source} ${status} ${errorCode ?? ''} ${request.method} ${request.routePattern ?? '(unmatched)'}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = {
        windowStart,
        recorded: 0,
        rolledUp: 0,
        firstRolledUpAt: undefined,
        lastRolledUpAt: undefined,
        sample: { request, status, errorCode },
      };
      this.tallies.set(key, tally);
    }
    if (tally.recorded < this.allowance) {
      tally.recorded += 1;
      return false;
    }
    tally.rolledUp += 1;
    tally.firstRolledUpAt ??= now;
    tally.lastRolledUpAt = now;
    return true;
  }

  /** Roll-up events of windows ended before `now` (or of every window with `all`), removed from the tally. */
  due(now: Date, all = false): AuditEventInput[] {
    const current = Math.floor(now.getTime() / this.windowMs) * this.windowMs;
    const events: AuditEventInput[] = [];
    for (const [key, tally] of this.tallies) {
      if (!all && tally.windowStart >= current) continue;
      this.tallies.delete(key);
      if (tally.rolledUp === 0) continue;
      const { request, status, errorCode } = tally.sample;
      events.push({
        action: 'request.refused.rollup',
        contract: request.contract,
        actorType: 'anonymous',
        outcome: 'failure',
        httpStatus: status,
        errorCode,
        sourceIp: request.sourceIp,
        userAgent: request.userAgent,
        detail: {
          count: tally.rolledUp,
          individuallyRecorded: tally.recorded,
          firstSeen: tally.firstRolledUpAt?.toISOString(),
          lastSeen: tally.lastRolledUpAt?.toISOString(),
          windowStart: new Date(tally.windowStart).toISOString(),
          windowSeconds: this.windowMs / 1000,
          method: request.method,
          route: request.routePattern ?? '(unmatched)',
        },
      });
    }
    return events;
  }
}
