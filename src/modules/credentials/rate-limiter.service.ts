import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { RateLimitRepository } from './rate-limit.repository.js';
import { SharedRedis } from './shared-redis.js';
import type { RateLimitState } from '../../common/http/rate-limit-headers.js';

export type RateDecision = ({ allowed: true } | { allowed: false; retryAfterSeconds: number }) &
  RateLimitState;

interface LocalWindow {
  windowStart: number;
  /** Hits reserved in the shared counter and not yet spent by this instance. */
  tokens: number;
  /** The shared counter reached the limit: nothing more this window, on any instance. */
  exhausted: boolean;
  /** The shared counter after this instance's last reservation: what others have left. */
  sharedTotal: number;
}

const MAX_BUCKETS = 50_000;

/**
 * Fixed-window limits counted in a store every instance shares (PostgreSQL, or Redis when
 * REDIS_URL is set), never only in memory. To keep the hot path to about one write per
 * `chunk` requests, an instance reserves a small chunk of the window's quota in one statement
 * (limit/50, between 1 and 20) and spends it locally. The total admitted never exceeds the
 * limit; what an instance reserved and did not spend is lost at the window's end, so with N
 * instances a client may be cut off up to N × (chunk − 1) requests early (≤ 2 % per instance).
 */
@Injectable()
export class RateLimiter {
  private readonly windows = new Map<string, LocalWindow>();

  constructor(
    private readonly repository: RateLimitRepository,
    private readonly redis: SharedRedis,
    private readonly clock: Clock,
  ) {}

  async consume(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    const { windowStart, retryAfterSeconds } = this.windowAt(windowMs);
    const state = (local: LocalWindow): RateLimitState => ({
      limit,
      remaining: local.exhausted ? 0 : Math.max(0, limit - local.sharedTotal) + local.tokens,
      resetSeconds: retryAfterSeconds,
    });
    let local = this.windows.get(bucket);
    if (!local || local.windowStart !== windowStart) {
      if (this.windows.size >= MAX_BUCKETS) this.windows.clear();
      local = { windowStart, tokens: 0, exhausted: false, sharedTotal: 0 };
      this.windows.set(bucket, local);
    }
    if (local.exhausted) return { allowed: false, retryAfterSeconds, ...state(local) };
    if (local.tokens > 0) {
      local.tokens -= 1;
      return { allowed: true, ...state(local) };
    }
    const chunk = Math.min(20, Math.max(1, Math.floor(limit / 50)));
    const total = await this.add(bucket, windowStart, windowMs, chunk);
    const granted = Math.min(chunk, limit - (total - chunk));
    local.sharedTotal = total;
    if (granted <= 0) {
      local.exhausted = true;
      return { allowed: false, retryAfterSeconds, ...state(local) };
    }
    local.tokens += granted - 1;
    return { allowed: true, ...state(local) };
  }

  /**
   * The refusal `consume` would give, from this instance's memory alone, when `bucket` is already
   * known to be exhausted in the current window; undefined otherwise (nothing is counted).
   */
  refusalIfExhausted(bucket: string, limit: number, windowMs: number): RateDecision | undefined {
    const local = this.windows.get(bucket);
    if (!local?.exhausted) return undefined;
    const { windowStart, retryAfterSeconds } = this.windowAt(windowMs);
    if (local.windowStart !== windowStart) return undefined;
    return {
      allowed: false,
      retryAfterSeconds,
      limit,
      remaining: 0,
      resetSeconds: retryAfterSeconds,
    };
  }

  /** The fixed window that holds now, and the seconds until it ends (at least 1). */
  private windowAt(windowMs: number): { windowStart: number; retryAfterSeconds: number } {
    const now = this.clock.now().getTime();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    return {
      windowStart,
      retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)),
    };
  }

  private async add(
    bucket: string,
    windowStart: number,
    windowMs: number,
    amount: number,
  ): Promise<number> {
    const client = this.redis.client;
    if (client) {
      const key = `mig:rl:${bucket}:${windowStart}`;
      const [[incrError, total]] = (await client
        .multi()
        .incrby(key, amount)
        .pexpire(key, windowMs * 2)
        .exec()) ?? [[null, 0]];
      if (incrError) throw incrError;
      return Number(total);
    }
    return this.repository.add(bucket, new Date(windowStart), amount);
  }
}
