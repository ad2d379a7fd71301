import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FakeHandler = (request: RecordedRequest, response: ServerResponse) => void;

/** An HTTP server on 127.0.0.1 and a random port that answers as told and records what it got. */
export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();

  private constructor(private handler: FakeHandler) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.requests.push(recorded);
        this.open.add(response);
        response.on('close', () => this.open.delete(response));
        this.handler(recorded, response);
      });
    });
  }

  static async start(handler: FakeHandler): Promise<FakeUpstream> {
    const fake = new FakeUpstream(handler);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(handler: FakeHandler): void {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

export const json =
  (status: number, body: unknown): FakeHandler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

export const verdictEnvelope = (validNumber: boolean, code?: string): unknown => ({
  success: true,
  messages: [
    code
      ? {
          type: 'WARNING',
          code,
          message: 'no',
          httpStatus: 'OK',
          technical: false,
          arguments: null,
        }
      : {
          type: 'SUCCESS',
          code: null,
          message: null,
          httpStatus: 'OK',
          technical: false,
          arguments: null,
        },
  ],
  data: { validNumber },
});

/** Never answers (until stopped): a hung upstream. */
export const hang: FakeHandler = () => undefined;
