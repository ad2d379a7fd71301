import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Environment } from '../config/environment.js';
import { MetricsService } from './metrics.service.js';

const METRICS_PATH = '/metrics';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Serves the registry at `/metrics`: on a listener of its own when METRICS_PORT is set (bind it
 * where only the scraper reaches), otherwise on the gateway's port behind METRICS_TOKEN (a bearer
 * token). Outside development and test, the gateway's port never serves it without a token.
 * It is a bare route, outside Nest's guards, audit and API document: a scrape is not an API call.
 */
@Injectable()
export class MetricsEndpoint {
  private readonly logger = new Logger(MetricsEndpoint.name);
  private readonly token: Buffer | undefined;
  private server: Server | undefined;

  constructor(
    private readonly metrics: MetricsService,
    private readonly environment: Environment,
  ) {
    this.token =
      environment.METRICS_TOKEN === undefined ? undefined : digest(environment.METRICS_TOKEN);
  }

  /** Adds the route to the gateway's Fastify instance, or the separate listener's start and stop to its lifecycle. */
  attach(fastify: FastifyInstance): void {
    const environment = this.environment;
    if (!environment.METRICS_ENABLED) return;
    if (environment.METRICS_PORT !== undefined) {
      fastify.addHook('onReady', () =>
        this.listen(environment.METRICS_PORT ?? 0, environment.METRICS_HOST ?? environment.HOST),
      );
      fastify.addHook('onClose', () => this.close());
      return;
    }
    if (this.token === undefined && environment.isProduction) {
      this.logger.warn(
        'metrics are not served: set METRICS_TOKEN (bearer token on /metrics) or METRICS_PORT (a listener of their own)',
      );
      return;
    }
    fastify.get(METRICS_PATH, async (request, reply) => {
      const answer = await this.answer(request.headers.authorization);
      return reply
        .code(answer.status)
        .header('content-type', answer.contentType)
        .header('cache-control', 'no-store')
        .send(answer.body);
    });
  }

  /** The separate listener's address (tests; METRICS_PORT=0 picks a free port). */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  private async answer(
    authorization: string | undefined,
  ): Promise<{ status: number; contentType: string; body: string }> {
    if (!this.authorized(authorization)) {
      return { status: 401, contentType: 'text/plain; charset=utf-8', body: 'unauthorized\n' };
    }
    return {
      status: 200,
      contentType: this.metrics.registry.contentType,
      body: await this.metrics.registry.metrics(),
    };
  }

  private authorized(authorization: string | undefined): boolean {
    if (this.token === undefined) return true;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]), this.token);
  }

  private async listen(port: number, host: string): Promise<void> {
    const server = createServer((request, response) => void this.serve(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = this.address();
    this.logger.log(
      `metrics served at http://${address?.family === 'IPv6' ? `[${address.address}]` : address?.address}:${address?.port}${METRICS_PATH}`,
    );
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    try {
      const answer = await this.answer(request.headers.authorization);
      response
        .writeHead(answer.status, {
          'content-type': answer.contentType,
          'cache-control': 'no-store',
        })
        .end(request.method === 'HEAD' ? undefined : answer.body);
    } catch {
      response
        .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        .end('metrics unavailable\n');
    }
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
}
