import { Injectable } from '@nestjs/common';
import { Environment } from '../../common/config/environment.js';
import type { ApiError } from '../../common/errors/api-error.js';
import { rateLimitHeaders } from '../../common/http/rate-limit-headers.js';
import { tooManyRequests } from './credentials.errors.js';
import { RateLimiter, type RateDecision } from './rate-limiter.service.js';

const WINDOW_MS = 60_000;

/**
 * Failed authentications per source address (AUTH_FAILURE_LIMIT_PER_MINUTE, counted in the
 * shared limiter). A source past the limit is refused at the door for the rest of its window
 * (AUTH_FAILURE_BLOCKS_SOURCE): every request from it, whatever its credentials, gets the 429
 * before routing, validation or a credential lookup, so a flood costs about what an empty HTTP
 * answer costs and does not slow other callers down. Each instance learns it on its own first
 * refusal of that source. (Behind a load balancer the address is the one TRUSTED_PROXIES vouches for.)
 */
@Injectable()
export class SourceThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly environment: Environment,
  ) {}

  /** Counts one failed authentication from `sourceIp`; the refusal once the source is past the limit. */
  async countFailure(sourceIp: string): Promise<ApiError | undefined> {
    const perMinute = this.environment.AUTH_FAILURE_LIMIT_PER_MINUTE;
    if (perMinute === 0) return undefined;
    const decision = await this.limiter.consume(bucketOf(sourceIp), perMinute, WINDOW_MS);
    return decision.allowed ? undefined : refusal(decision);
  }

  private waiting = 0;

  /**
   * Answers a door refusal after AUTH_FAILURE_TARPIT_MS (see there), or at once when that many
   * refusals already wait. The wait holds a timer and the client's socket, nothing else.
   */
  answerRefusal(answer: () => void): void {
    const delay = this.environment.AUTH_FAILURE_TARPIT_MS;
    if (delay === 0 || this.waiting >= this.environment.AUTH_FAILURE_TARPIT_MAX) {
      answer();
      return;
    }
    this.waiting += 1;
    setTimeout(() => {
      this.waiting -= 1;
      answer();
    }, delay).unref();
  }

  /** The 429 for a source this instance already knows to be past the limit in this window. */
  refusalAtTheDoor(sourceIp: string): ApiError | undefined {
    const perMinute = this.environment.AUTH_FAILURE_LIMIT_PER_MINUTE;
    if (perMinute === 0 || !this.environment.AUTH_FAILURE_BLOCKS_SOURCE) return undefined;
    const decision = this.limiter.refusalIfExhausted(bucketOf(sourceIp), perMinute, WINDOW_MS);
    return decision && !decision.allowed ? refusal(decision) : undefined;
  }
}

function bucketOf(sourceIp: string): string {
  return `source:${sourceIp}`;
}

function refusal(decision: RateDecision & { allowed: false }): ApiError {
  return tooManyRequests(decision.retryAfterSeconds, rateLimitHeaders(decision));
}
