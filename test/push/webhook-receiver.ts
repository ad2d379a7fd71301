import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  url: string;
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
  private gate: ((event: ReceivedEvent) => Promise<void>) | undefined;
  /** Requests received and not yet answered (or abandoned by the caller), and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const answer = this.script.shift() ?? this.otherwise;
        const { status, headers } =
          typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        const event = {
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status,
          at: Date.now(),
        };
        this.received.push(event);
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        let open = true;
        const done = () => {
          if (open) this.inFlight -= 1;
          open = false;
        };
        response.on('close', done);
        void (this.gate?.(event) ?? Promise.resolve()).then(() => {
          if (!open) return;
          // Counted out before answering, so a caller that sends its next request on this answer never sees it still counted.
          done();
          response.writeHead(status, headers ?? {});
          response.end();
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Holds each answer until `gate(event)` resolves (a slow sink; a gate that never resolves: a sink that never answers). */
  holdWith(gate: ((event: ReceivedEvent) => Promise<void>) | undefined): void {
    this.gate = gate;
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
    await new Promise<void>((resolve) => {
      if (this.server)
        this.server.close(() => {
          resolve();
        });
      else resolve();
    });
  }
}

/** Polls `check` until it holds or the deadline passes (no sleeps to wait for things). */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
