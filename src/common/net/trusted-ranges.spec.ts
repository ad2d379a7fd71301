import { parseRange, TrustedRanges } from './trusted-ranges.js';

describe(TrustedRanges.name, () => {
  const ranges = new TrustedRanges(['10.20.0.0/16', '192.0.2.7', '2001:db8::/32', 'not-a-range']);

  it('contains addresses inside its IPv4 and IPv6 ranges, including IPv4-mapped IPv6 peers', () => {
    expect(ranges.contains('10.20.255.1')).toBe(true);
    expect(ranges.contains('192.0.2.7')).toBe(true);
    expect(ranges.contains('2001:db8:1::5')).toBe(true);
    expect(ranges.contains('::ffff:10.20.0.9')).toBe(true);
  });

  it('does not contain addresses outside them, nor garbage', () => {
    expect(ranges.contains('10.21.0.1')).toBe(false);
    expect(ranges.contains('192.0.2.8')).toBe(false);
    expect(ranges.contains('2001:db9::1')).toBe(false);
    expect(ranges.contains('127.0.0.1')).toBe(false);
    expect(ranges.contains(undefined)).toBe(false);
    expect(ranges.contains('10.20.0.1, 1.2.3.4')).toBe(false);
  });

  it('trusts nobody when no range is configured', () => {
    expect(new TrustedRanges([]).contains('127.0.0.1')).toBe(false);
  });

  it('parses only well-formed ranges', () => {
    expect(parseRange('10.0.0.0/8')).toEqual({ family: 'ipv4', network: '10.0.0.0', prefix: 8 });
    expect(parseRange('10.0.0.0/33')).toBeUndefined();
    expect(parseRange('10.0.0/8')).toBeUndefined();
    expect(parseRange('10.0.0.0/8/1')).toBeUndefined();
    expect(parseRange('::1/129')).toBeUndefined();
  });
});
