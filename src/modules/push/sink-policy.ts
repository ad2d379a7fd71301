import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which sinks the gateway may call (SSRF guard). A sink must be https on a public address; hosts
 * the operator lists (PUSH_SINK_ALLOWED_HOSTS) may resolve to loopback or private addresses.
 * Outside production, a loopback sink (`localhost`, 127.0.0.0/8, `::1`) is accepted without being
 * listed, over http or https, so a developer's local receiver works out of the box; production
 * refuses plain http whatever the list says.
 */
export class SinkPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    allowedHosts: string | undefined,
    private readonly production: boolean,
  ) {
    this.allowed = new Set(
      (allowedHosts ?? '')
        .split(',')
        .map((host) => normalizeHost(host.trim()))
        .filter(Boolean),
    );
  }

  /** Why the sink is refused, or undefined when it is acceptable. Never echoes the URL. */
  refusal(raw: string): string | undefined {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'sink must be an absolute URL';
    }
    if (url.username || url.password) return 'sink must not carry user information';
    if (url.hash) return 'sink must not have a fragment';
    const host = normalizeHost(url.hostname);
    const exempt = this.isExempt(host);
    if (url.protocol === 'http:') {
      if (this.production || !isLoopbackHost(host)) return 'sink must be an https URL';
    } else if (url.protocol !== 'https:') {
      return 'sink must be an https URL';
    }
    if (isIP(host) !== 0 && !exempt && !isPublicAddress(host))
      return 'sink must be on a public address';
    if (host === 'localhost' && !exempt) return 'sink must be on a public address';
    return undefined;
  }

  /** True when a connection to `address` (resolved for `host`) may be made. */
  mayConnect(host: string, address: string): boolean {
    const normalized = normalizeHost(host);
    if (this.allowed.has(normalized) || isPublicAddress(address)) return true;
    // A local sink may reach loopback only: `localhost` pointed at a private address stays refused.
    return !this.production && isLoopbackHost(normalized) && isLoopbackAddress(address);
  }

  /** Listed by the operator, or a loopback host outside production. */
  private isExempt(host: string): boolean {
    return this.allowed.has(host) || (!this.production && isLoopbackHost(host));
  }

  /**
   * A `lookup` for http(s).request that refuses a name resolving to a non-public address, so a
   * public name cannot be pointed at an internal one after the sink was accepted (DNS rebinding).
   */
  lookupFor(
    host: string,
  ): (
    hostname: string,
    options: LookupOptions,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ) => void {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) {
          callback(error, '', 0);
          return;
        }
        const list = addresses;
        const refused = list.find((entry) => !this.mayConnect(host, entry.address));
        if (refused || list.length === 0) {
          const denied: NodeJS.ErrnoException = new Error('sink resolves to a non-public address');
          denied.code = 'ESINKDENIED';
          callback(denied, '', 0);
          return;
        }
        if (options.all) {
          callback(null, list);
          return;
        }
        callback(null, list[0].address, list[0].family);
      });
    };
  }
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/**
 * `localhost`, 127.0.0.0/8 or `::1` as written. An IPv4-mapped form (`::ffff:127.0.0.1`) is not
 * counted: nobody's local receiver needs it, and it is a classic way around SSRF filters.
 */
function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.parse(host).range() === 'loopback';
}

function isLoopbackAddress(address: string): boolean {
  return ipaddr.isValid(address) && rangeOf(address) === 'loopback';
}

function rangeOf(address: string): string {
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it maps.
  return ipaddr.process(address).range();
}

/** Only global unicast addresses are public: loopback, private, link-local (cloud metadata), CGNAT, multicast… are not. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return rangeOf(address) === 'unicast';
}
