import { BlockList, isIP } from 'node:net';

/** `10.0.0.0/8`, `2001:db8::/32` or a single address → its family, network and prefix length; undefined if malformed. */
export function parseRange(
  range: string,
): { family: 'ipv4' | 'ipv6'; network: string; prefix: number } | undefined {
  const [network, prefixText, extra] = range.trim().split('/') as (string | undefined)[];
  if (extra !== undefined || !network) return undefined;
  const version = isIP(network);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { family: version === 4 ? 'ipv4' : 'ipv6', network, prefix };
}

/** IPv4 clients reach a dual-stack socket as `::ffff:a.b.c.d`; compare them as IPv4. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1] : address;
}

/**
 * The address ranges of an operator's enrichment proxies. Built on Node's BlockList, which does
 * the CIDR arithmetic for both families; malformed entries match nothing (the admin API refuses them).
 */
export class TrustedRanges {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(ranges: readonly string[]) {
    let added = 0;
    for (const range of ranges) {
      const parsed = parseRange(range);
      if (!parsed) continue;
      this.list.addSubnet(parsed.network, parsed.prefix, parsed.family);
      added += 1;
    }
    this.empty = added === 0;
  }

  contains(address: string | undefined): boolean {
    if (!address || this.empty) return false;
    const candidate = unmapped(address);
    const version = isIP(candidate);
    if (version === 0) return false;
    return this.list.check(candidate, version === 4 ? 'ipv4' : 'ipv6');
  }
}
