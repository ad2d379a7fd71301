import { redactedPath } from './redacted-path.js';

describe('redactedPath', () => {
  it('names a matched route by its pattern, keeping only the query keys', () => {
    expect(
      redactedPath(
        '/admin/v1/sandbox/sim-swap/+31612345678',
        '/admin/v1/sandbox/sim-swap/:phoneNumber',
      ),
    ).toBe('/admin/v1/sandbox/sim-swap/:phoneNumber');
    expect(
      redactedPath(
        '/admin/v1/audit/events?phoneNumber=%2B962791234567&limit=5',
        '/admin/v1/audit/events',
      ),
    ).toBe('/admin/v1/audit/events?phoneNumber=…&limit=…');
  });

  it('masks digit runs of an unmatched path, and of query keys, never showing a value', () => {
    expect(redactedPath('/nothing/+962791234567/x')).toBe('/nothing/…/x');
    expect(redactedPath('/nothing/%2B962%20791%20234567')).toBe('/nothing/…');
    expect(redactedPath('/nothing?%2B962791234567&q=+962791234567')).toBe('/nothing?…=…&q=…');
    // A bare `+` in a query decodes to a space: the digits are masked all the same.
    expect(redactedPath('/nothing?+962791234567')).not.toMatch(/\d/);
    expect(redactedPath('/v1/he/ZAIN_JO/check')).toBe('/v1/he/ZAIN_JO/check');
  });
});
