import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  at: number;
}

type Answer = number | { status: number; headers?: Record<string, string> };

/**
 * A real HTTP sink on 127.0.0.1: records every request (raw body and headers) and answers the
 * next status of its script, then `otherwise`.
 */
export class WebhookReceiver {
  readonly received: ReceivedEvent[] = [];
  private script: Answer[] = [];
  private otherwise: Answer = 204;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const answer = this.script.shift() ?? this.otherwise;
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: Date.now() });
        response.writeHead(status, headers ?? {});
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  answer(script: Answer[], otherwise: Answer = 204): void {
    this.script = [...script];
    this.otherwise = otherwise;
  }

  eventsWithId(id: string): ReceivedEvent[] {
    return this.received.filter((event) => event.headers['webhook-id'] === id);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Polls `check` until it holds or the deadline passes (no sleeps to wait for things). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
