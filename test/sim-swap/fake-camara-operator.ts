import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake operator does with an API call (not token requests). */
export type FakeBehaviour =
  | { kind: 'answer'; status: number; body: unknown }
  | { kind: 'raw'; status: number; body: string }
  /** Never answers (until the server closes): an operator slower than any deadline. */
  | { kind: 'hang' }
  /** Answers what `reply` makes of the call (e.g. a new subscription id per call). */
  | { kind: 'reply'; reply: (call: RecordedCall) => { status: number; body: unknown } };

export interface RecordedCall {
  method: string;
  path: string;
  authorization: string | undefined;
  correlator: string | undefined;
  body: Record<string, unknown>;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });

/**
 * An operator's own CAMARA SIM Swap / Device Swap API with an OAuth2 client-credentials token
 * endpoint, on 127.0.0.1 and a random port. Tests choose its behaviour per path, and can expire
 * every token it issued (it then answers 401, as an operator that revoked them would).
 */
export class FakeCamaraOperator {
  readonly clientId = 'gateway-client';
  readonly clientSecret = 'fake-operator-secret-value';
  tokenRequests = 0;
  tokenLifetimeSeconds = 3_600;
  tokenStatus = 200;
  readonly calls: RecordedCall[] = [];
  /** Behaviour by path below the base URL, e.g. 'sim-swap/v2/check'; default: answer 200 `{}`. */
  readonly behaviours = new Map<string, FakeBehaviour>();
  private readonly validTokens = new Set<string>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  private port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/camara`;
  }

  get tokenUrl(): string {
    return `http://127.0.0.1:${this.port}/oauth2/token`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Every token issued so far stops working (the operator answers 401 to it). */
  expireTokens(): void {
    this.validTokens.clear();
  }

  callsTo(path: string): RecordedCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => {
      if (this.server)
        this.server.close(() => {
          resolve();
        });
      else resolve();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const path = (request.url ?? '').replace(/^\/+/, '');
    if (path === 'oauth2/token') {
      this.token(request, raw, response);
      return;
    }
    if (!path.startsWith('camara/')) {
      this.send(response, 404, { status: 404, code: 'NOT_FOUND', message: 'no such path' });
      return;
    }
    const apiPath = path.slice('camara/'.length);
    let body: Record<string, unknown>;
    try {
      // A DELETE carries no body.
      body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    } catch {
      this.send(response, 400, {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: 'bad JSON',
      });
      return;
    }
    const authorization = request.headers.authorization;
    const correlator = request.headers['x-correlator'];
    const call: RecordedCall = {
      method: request.method ?? 'GET',
      path: apiPath,
      authorization,
      correlator: typeof correlator === 'string' ? correlator : undefined,
      body,
    };
    this.calls.push(call);
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    if (!this.validTokens.has(token)) {
      this.send(response, 401, {
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'token expired',
      });
      return;
    }
    const behaviour = this.behaviours.get(apiPath) ?? { kind: 'answer', status: 200, body: {} };
    switch (behaviour.kind) {
      case 'hang':
        this.hanging.add(response);
        response.on('close', () => this.hanging.delete(response));
        return;
      case 'raw':
        response
          .writeHead(behaviour.status, { 'content-type': 'application/json' })
          .end(behaviour.body);
        return;
      case 'answer':
        this.send(response, behaviour.status, behaviour.body);
        return;
      case 'reply': {
        const answer = behaviour.reply(call);
        this.send(response, answer.status, answer.body);
        return;
      }
    }
  }

  private token(request: IncomingMessage, raw: string, response: ServerResponse): void {
    this.tokenRequests += 1;
    const expected = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
    const form = new URLSearchParams(raw);
    if (
      request.headers.authorization !== expected ||
      form.get('grant_type') !== 'client_credentials'
    ) {
      this.send(response, 401, { error: 'invalid_client' });
      return;
    }
    if (this.tokenStatus !== 200) {
      this.send(response, this.tokenStatus, { error: 'server_error' });
      return;
    }
    const token = `token-${this.tokenRequests}`;
    this.validTokens.add(token);
    this.send(response, 200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.tokenLifetimeSeconds,
    });
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
