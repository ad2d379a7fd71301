import { Clock } from '../../common/clock/clock.js';
import type { RateLimitRepository } from './rate-limit.repository.js';
import { RateLimiter } from './rate-limiter.service.js';
import type { SharedRedis } from './shared-redis.js';

class PinnedClock extends Clock {
  constructor(private at: number) {
    super();
  }

  override now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

/** The shared counter every instance writes to (PostgreSQL's rate_limit_window in the gateway). */
function sharedCounter() {
  const totals = new Map<string, number>();
  const writes: number[] = [];
  const repository = {
    add: (bucket: string, windowStart: Date, amount: number): Promise<number> => {
      const key = `${bucket}@${windowStart.toISOString()}`;
      const total = (totals.get(key) ?? 0) + amount;
      totals.set(key, total);
      writes.push(amount);
      return Promise.resolve(total);
    },
  };
  return { repository: repository as unknown as RateLimitRepository, writes };
}

const withoutRedis = { client: undefined } as SharedRedis;
// 10 s into a minute, so no window boundary falls inside a test.
const START = Date.UTC(2026, 11, 4, 12, 0, 10);

async function admitted(
  limiter: RateLimiter,
  bucket: string,
  limit: number,
  attempts: number,
): Promise<number> {
  let allowed = 0;
  for (let n = 0; n < attempts; n += 1)
    if ((await limiter.consume(bucket, limit, 60_000)).allowed) allowed += 1;
  return allowed;
}

describe(RateLimiter.name, () => {
  describe('consume', () => {
    it.each([
      [1, 1],
      [49, 1],
      [100, 2],
      [1_000, 20],
      [100_000, 20],
    ])(
      'with a limit of %i, reserves chunks of %i in the shared counter and admits exactly the limit on one instance',
      async (limit, chunk) => {
        const { repository, writes } = sharedCounter();
        const limiter = new RateLimiter(repository, withoutRedis, new PinnedClock(START));
        const attempts = Math.min(limit, 2_000) + 5;
        const allowed = await admitted(limiter, 'client:a', limit, attempts);
        expect(allowed).toBe(Math.min(limit, attempts));
        expect(writes.every((amount) => amount === chunk)).toBe(true);
        // About one write per chunk of requests: the point of reserving.
        expect(writes.length).toBeLessThanOrEqual(Math.ceil(attempts / chunk) + 1);
      },
    );

    it('never admits more than the limit across instances, and at most N × (chunk − 1) fewer', async () => {
      const { repository } = sharedCounter();
      const clock = new PinnedClock(START);
      const instances = [0, 1, 2].map(() => new RateLimiter(repository, withoutRedis, clock));
      const limit = 1_000; // chunk 20
      let allowed = 0;
      for (let n = 0; n < 1_500; n += 1)
        if ((await instances[n % 3].consume('client:b', limit, 60_000)).allowed) allowed += 1;
      expect(allowed).toBeLessThanOrEqual(limit);
      expect(allowed).toBeGreaterThanOrEqual(limit - 3 * (20 - 1));
    });

    it('states what is left without overstating it, and the seconds to the window’s end', async () => {
      const { repository } = sharedCounter();
      const limiter = new RateLimiter(repository, withoutRedis, new PinnedClock(START));
      const first = await limiter.consume('client:c', 100, 60_000);
      expect(first).toMatchObject({ allowed: true, limit: 100, remaining: 99, resetSeconds: 50 });
      const second = await limiter.consume('client:c', 100, 60_000);
      expect(second).toMatchObject({ allowed: true, remaining: 98 });
    });

    it('refuses with Retry-After until the window ends, then admits again', async () => {
      const { repository } = sharedCounter();
      const clock = new PinnedClock(START);
      const limiter = new RateLimiter(repository, withoutRedis, clock);
      expect(await admitted(limiter, 'client:d', 3, 3)).toBe(3);
      expect(await limiter.consume('client:d', 3, 60_000)).toMatchObject({
        allowed: false,
        retryAfterSeconds: 50,
        remaining: 0,
      });
      clock.advance(50_000);
      expect(await limiter.consume('client:d', 3, 60_000)).toMatchObject({
        allowed: true,
        remaining: 2,
      });
    });

    it('counts each bucket on its own', async () => {
      const { repository } = sharedCounter();
      const limiter = new RateLimiter(repository, withoutRedis, new PinnedClock(START));
      expect(await admitted(limiter, 'client:e', 1, 2)).toBe(1);
      expect(await admitted(limiter, 'client:f', 1, 1)).toBe(1);
    });
  });

  describe('refusalIfExhausted', () => {
    it('answers from memory only once the bucket is known exhausted in the current window', async () => {
      const { repository, writes } = sharedCounter();
      const clock = new PinnedClock(START);
      const limiter = new RateLimiter(repository, withoutRedis, clock);
      expect(limiter.refusalIfExhausted('client:g', 1, 60_000)).toBeUndefined();
      await limiter.consume('client:g', 1, 60_000);
      expect(limiter.refusalIfExhausted('client:g', 1, 60_000)).toBeUndefined();
      await limiter.consume('client:g', 1, 60_000);
      const writesBefore = writes.length;
      expect(limiter.refusalIfExhausted('client:g', 1, 60_000)).toEqual({
        allowed: false,
        retryAfterSeconds: 50,
        limit: 1,
        remaining: 0,
        resetSeconds: 50,
      });
      expect(writes.length).toBe(writesBefore);
      clock.advance(60_000);
      expect(limiter.refusalIfExhausted('client:g', 1, 60_000)).toBeUndefined();
    });
  });
});
