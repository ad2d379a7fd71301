/**
 * The Identity Match `range` answer: the bucket the time since the last SIM change falls in.
 * Each bucket is `gt < elapsed ≤ lt` in whole seconds (the first also holds 0); the last one is
 * open (`lt: -1`, "older than gt"). Upper bounds are inclusive so that the `24h` answer (a change at
 * most 24 hours ago, like CAMARA's maxAge) and the range agree at exactly 24 hours. The edges are
 * the README's: 1 hour, 24 hours, 7, 14, 30 and 90 days.
 */
export const BUCKET_EDGES_SECONDS = [
  3_600, 86_400, 604_800, 1_209_600, 2_592_000, 7_776_000,
] as const;

export const SECONDS_PER_DAY = 86_400;

export interface SwapRange {
  gt: number;
  lt: number;
}

/** Whole seconds from `then` to `now`; a change dated in the future (clock skew) counts as just now. */
export function elapsedSeconds(then: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - then.getTime()) / 1000));
}

export function rangeOf(elapsed: number): SwapRange {
  let lower = 0;
  for (const edge of BUCKET_EDGES_SECONDS) {
    if (elapsed <= edge) return { gt: lower, lt: edge };
    lower = edge;
  }
  return { gt: lower, lt: -1 };
}

/**
 * The bucket when the operator only knows there was no change within its monitored period: "older
 * than the period". The lower bound is the period itself, not a bucket edge, because that is all
 * the operator can say.
 */
export function rangeBeyondMonitoredPeriod(monitoredPeriodDays: number): SwapRange {
  return { gt: monitoredPeriodDays * SECONDS_PER_DAY, lt: -1 };
}

/** CAMARA `check`: a change at most `maxAgeHours` ago (inclusive) counts as swapped. */
export function changedWithin(change: Date, now: Date, maxAgeHours: number): boolean {
  return elapsedSeconds(change, now) <= maxAgeHours * 3_600;
}
