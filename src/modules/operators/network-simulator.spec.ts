import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { startNetworkSimulator, type NetworkSimulator } from './network-simulator.js';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  peer: string | undefined;
}

/** Sends one request through the proxy (absolute-form target, as browsers do with --proxy-server). */
function viaProxy(
  proxy: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(proxy);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: hostname, port, path: target, method: 'GET', headers },
      (answer) => {
        let body = '';
        answer.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        answer.on('end', () => {
          resolve({ status: answer.statusCode ?? 0, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('startNetworkSimulator', () => {
  let server: Server;
  let origin: string;
  let other: Server;
  let otherOrigin: string;
  const seen: Seen[] = [];
  let simulator: NetworkSimulator | undefined;

  const listen = async (target: Server): Promise<string> => {
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(target.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    const record = (name: string) =>
      createServer((incoming, outgoing) => {
        seen.push({
          url: `${name}${incoming.url}`,
          headers: incoming.headers,
          peer: incoming.socket.remoteAddress,
        });
        outgoing.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('ok');
      });
    server = record('gateway');
    other = record('other');
    origin = await listen(server);
    otherOrigin = await listen(other);
  });

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
    seen.length = 0;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => other.close(resolve));
  });

  it('adds the subscriber’s number as digits, from the operator’s address, replacing whatever the device sent', async () => {
    simulator = await startNetworkSimulator({ msisdn: '+962791234567' });
    const answer = await viaProxy(simulator.url, `http://${origin}/v1/he/ZAIN_JO?x=1`, {
      'X-MSISDN': '+962799999999',
      'proxy-connection': 'keep-alive',
    });
    expect(answer).toEqual({ status: 200, body: 'ok' });
    expect(seen).toEqual([
      {
        url: 'gateway/v1/he/ZAIN_JO?x=1',
        headers: expect.objectContaining({ 'x-msisdn': '962791234567' }),
        peer: '127.0.0.2',
      },
    ]);
    expect(seen[0].headers['proxy-connection']).toBeUndefined();
    expect(simulator.enriched).toBe(1);
  });

  it('reaches a server named localhost from its IPv4 source address', async () => {
    simulator = await startNetworkSimulator({ msisdn: '+962791234567' });
    const port = origin.split(':')[1];
    expect((await viaProxy(simulator.url, `http://localhost:${port}/he`)).status).toBe(200);
    expect(seen.map((entry) => [entry.url, entry.peer])).toEqual([['gateway/he', '127.0.0.2']]);
  });

  it('enriches only the hosts it is told to, and no one when the subscriber is not identified', async () => {
    simulator = await startNetworkSimulator({
      msisdn: '+962791234567',
      enrichHosts: [origin],
      header: 'X-Operator-Msisdn',
    });
    await viaProxy(simulator.url, `http://${otherOrigin}/page`, { 'x-operator-msisdn': 'forged' });
    await viaProxy(simulator.url, `http://${origin}/v1/he/ZAIN_JO`);
    expect(seen.map((entry) => [entry.url, entry.headers['x-operator-msisdn']])).toEqual([
      ['other/page', undefined],
      ['gateway/v1/he/ZAIN_JO', '962791234567'],
    ]);
    await simulator.close();
    simulator = await startNetworkSimulator({ msisdn: undefined });
    await viaProxy(simulator.url, `http://${origin}/v1/he/ZAIN_JO`, { 'x-msisdn': 'forged' });
    expect(seen[2].headers['x-msisdn']).toBeUndefined();
  });

  it('tunnels CONNECT without touching the bytes (HTTPS cannot be enriched)', async () => {
    simulator = await startNetworkSimulator({ msisdn: '+962791234567' });
    const { hostname, port } = new URL(simulator.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(`CONNECT ${origin} HTTP/1.1\r\nHost: ${origin}\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('200 Connection Established\r\n\r\n') && !text.includes('GET-SENT')) {
          text += 'GET-SENT';
          socket.write(`GET /inside HTTP/1.1\r\nHost: ${origin}\r\nConnection: close\r\n\r\n`);
        }
      });
      socket.on('end', () => {
        resolve(text);
      });
      socket.on('error', reject);
    });
    expect(reply).toContain('HTTP/1.1 200 OK');
    expect(seen).toEqual([
      {
        url: 'gateway/inside',
        headers: expect.not.objectContaining({ 'x-msisdn': expect.anything() }),
        peer: '127.0.0.2',
      },
    ]);
  });

  it('answers 502 when the server cannot be reached and 400 to a request that is not for a proxy', async () => {
    simulator = await startNetworkSimulator({ msisdn: '+962791234567' });
    const closed = createServer();
    const closedOrigin = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    expect((await viaProxy(simulator.url, `http://${closedOrigin}/`)).status).toBe(502);
    expect((await viaProxy(simulator.url, '/not-absolute')).status).toBe(400);
  });
});
