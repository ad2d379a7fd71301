import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';

/** The address the simulator's enrichment box connects from: the "operator's range" of the sandbox. */
export const SIMULATOR_SOURCE_ADDRESS = '127.0.0.2';

export interface NetworkSimulatorOptions {
  /** The subscriber's number, E.164 (`+962791234567`); undefined = a subscriber the network does not identify. */
  msisdn: string | undefined;
  /** Header the enrichment box adds (default `x-msisdn`, the sandbox operators' header). */
  header?: string;
  /**
   * Only requests to these `host:port`s are enriched, as an operator enriches only its partners'
   * enrichment hosts (default: every host). Other traffic passes through unchanged.
   */
  enrichHosts?: string[];
  /** The address it connects to servers from (default 127.0.0.2); the gateway trusts it as the operator's range. */
  sourceAddress?: string;
  /** Where the proxy listens (default 127.0.0.1 on a free port). */
  host?: string;
  port?: number;
}

export interface NetworkSimulator {
  /** `http://127.0.0.1:<port>`, for a browser's `--proxy-server` or an HTTP client's proxy setting. */
  readonly url: string;
  /** Requests that left with the enrichment header. */
  readonly enriched: number;
  /** Another subscriber from now on (a number ending in 0503 stands for an operator that is down); undefined = nobody identified. */
  setSubscriber(msisdn: string | undefined): void;
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own, never forwarded.
const HOP_BY_HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
];

/**
 * A mobile network in a box, for the sandbox and the tests: an HTTP forward proxy that behaves
 * like an operator's header-enrichment gateway. It adds the subscriber's number to every plain
 * HTTP request it forwards (digits only, as enrichment boxes send it), removes any copy the
 * device sent (a subscriber must not be able to name a number), and connects from its own
 * address, which the gateway trusts as the operator's range (`trustedRanges`). HTTPS passes
 * through as an opaque tunnel (`CONNECT`) without the header: nobody can add a header to TLS,
 * which is why enrichment URLs are plain HTTP.
 */
export async function startNetworkSimulator(
  options: NetworkSimulatorOptions,
): Promise<NetworkSimulator> {
  const header = (options.header ?? 'x-msisdn').toLowerCase();
  const sourceAddress = options.sourceAddress ?? SIMULATOR_SOURCE_ADDRESS;
  // Resolve names (`localhost`) in the source address's family: an IPv4 source cannot reach ::1.
  const family = isIP(sourceAddress) || undefined;
  const enrichHosts =
    options.enrichHosts && new Set(options.enrichHosts.map((host) => host.toLowerCase()));
  const digitsOf = (number: string | undefined): string | undefined => number?.replace(/^\+/, '');
  let msisdn = digitsOf(options.msisdn);
  const sockets = new Set<Socket>();
  let enriched = 0;

  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    let target: URL;
    try {
      target = new URL(incoming.url ?? '');
    } catch {
      outgoing
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('This is a proxy: send absolute-form requests.\n');
      return;
    }
    if (target.protocol !== 'http:') {
      outgoing
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('Only http:// is proxied; https goes through CONNECT.\n');
      return;
    }
    const headers = forwardedHeaders(incoming.headers, header);
    if (msisdn !== undefined && (!enrichHosts || enrichHosts.has(target.host.toLowerCase()))) {
      headers[header] = msisdn;
      enriched += 1;
    }
    const upstream = httpRequest(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: incoming.method,
        headers,
        localAddress: sourceAddress,
        family,
      },
      (answer) => {
        outgoing.writeHead(
          answer.statusCode ?? 502,
          answer.statusMessage,
          stripHopByHop(answer.headers),
        );
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      if (!outgoing.headersSent)
        outgoing
          .writeHead(502, { 'content-type': 'text/plain' })
          .end('The network could not reach the server.\n');
      else outgoing.destroy();
    });
    incoming.pipe(upstream);
  };

  const server = createServer(forward);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    const [host, port] = splitAuthority(incoming.url ?? '');
    const tunnel = connect({ host, port, localAddress: sourceAddress, family }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      tunnel.write(head);
      tunnel.pipe(client);
      client.pipe(tunnel);
    });
    sockets.add(tunnel);
    tunnel.on('close', () => sockets.delete(tunnel));
    tunnel.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => tunnel.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    get enriched() {
      return enriched;
    },
    setSubscriber: (number) => {
      msisdn = digitsOf(number);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function stripHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = (headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.includes(name) && !named.includes(name)) kept[name] = value;
  }
  return kept;
}

/** The device's headers as they leave the network: without hop-by-hop headers and without any enrichment header it sent. */
function forwardedHeaders(
  headers: IncomingHttpHeaders,
  enrichmentHeader: string,
): IncomingHttpHeaders {
  const kept = stripHopByHop(headers);
  Reflect.deleteProperty(kept, enrichmentHeader);
  return kept;
}

function splitAuthority(authority: string): [string, number] {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority);
  return match ? [match[1], Number(match[2])] : [authority, 443];
}
