/**
 * Rate-limit state as response headers (the IETF httpapi RateLimit fields, in their widely used
 * three-header form), sent beside `Retry-After` on a 429 and on every answer to a counted request.
 */
export const RATE_LIMIT_HEADERS = {
  limit: 'RateLimit-Limit',
  remaining: 'RateLimit-Remaining',
  reset: 'RateLimit-Reset',
} as const;

export interface RateLimitState {
  /** Requests allowed in the window. */
  limit: number;
  /** Requests left in the window, as far as this instance knows (never more than are left). */
  remaining: number;
  /** Seconds until the window ends. */
  resetSeconds: number;
}

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    [RATE_LIMIT_HEADERS.limit]: String(state.limit),
    [RATE_LIMIT_HEADERS.remaining]: String(Math.max(0, state.remaining)),
    [RATE_LIMIT_HEADERS.reset]: String(Math.max(0, state.resetSeconds)),
  };
}
