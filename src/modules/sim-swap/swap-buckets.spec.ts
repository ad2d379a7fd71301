import {
  BUCKET_EDGES_SECONDS,
  changedWithin,
  elapsedSeconds,
  rangeBeyondMonitoredPeriod,
  rangeOf,
} from './swap-buckets.js';

describe('swap buckets', () => {
  describe('rangeOf', () => {
    it('puts a change this very second in the first bucket', () => {
      expect(rangeOf(0)).toEqual({ gt: 0, lt: 3_600 });
    });

    it.each(BUCKET_EDGES_SECONDS.map((edge, index) => [edge, index]))(
      'keeps exactly %i seconds in the lower bucket and one second more in the next',
      (edge, index) => {
        const lower = index === 0 ? 0 : BUCKET_EDGES_SECONDS[index - 1];
        const upper = BUCKET_EDGES_SECONDS[index + 1] ?? -1;
        expect(rangeOf(edge)).toEqual({ gt: lower, lt: edge });
        expect(rangeOf(edge + 1)).toEqual({ gt: edge, lt: upper });
      },
    );

    it('answers "older than 90 days" with lt -1', () => {
      expect(rangeOf(10 * 365 * 86_400)).toEqual({ gt: 7_776_000, lt: -1 });
    });
  });

  it('says "older than the monitored period" when only that is known', () => {
    expect(rangeBeyondMonitoredPeriod(30)).toEqual({ gt: 2_592_000, lt: -1 });
  });

  it('counts a change dated in the future as just now', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    expect(elapsedSeconds(new Date('2026-11-23T12:00:05Z'), now)).toBe(0);
  });

  it('treats maxAge as inclusive', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    expect(changedWithin(new Date('2026-11-22T12:00:00Z'), now, 24)).toBe(true);
    expect(changedWithin(new Date('2026-11-22T11:59:59Z'), now, 24)).toBe(false);
  });
});
