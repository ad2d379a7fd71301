import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { Environment } from './common/config/environment.js';
import { Readiness } from './common/health/readiness.js';

/** The address the socket is bound to (`0.0.0.0`, `::`, or one interface), as a URL. */
function boundUrl(app: NestFastifyApplication): string {
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') return String(address);
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/**
 * SIGTERM/SIGINT: readiness turns 503 `shutting_down`, the listener stops accepting and the
 * requests in flight finish (each waits for its audit event), then Nest's shutdown flushes the
 * audit writer and closes the pool. SHUTDOWN_TIMEOUT_MS bounds the whole drain; a second signal
 * ends it at once (the default action of a signal without a listener). `beforeExit` runs last (the
 * tracer's final export), within the same deadline.
 */
function drainOnSignals(
  app: NestFastifyApplication,
  environment: Environment,
  logger: Logger,
  beforeExit: () => Promise<void>,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    logger.log(
      `${signal}: draining (readiness 503, no new connections, up to ${environment.SHUTDOWN_TIMEOUT_MS} ms)`,
    );
    const deadline = setTimeout(() => {
      logger.error(
        `shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${environment.SHUTDOWN_TIMEOUT_MS}; exiting`,
      );
      process.exit(1);
    }, environment.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    app.get(Readiness).beginDrain();
    void (async () => {
      try {
        // Fastify's close stops the listener, answers 503 on kept-alive connections and waits for the requests in flight.
        await app.getHttpAdapter().getInstance().close();
        await app.close();
        logger.log(`stopped after ${Math.round(performance.now() - started)} ms`);
        await beforeExit();
        process.exit(0);
      } catch (error) {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      }
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export interface GatewayOptions {
  /** Runs after a clean shutdown, before the process exits (tracing: export the last spans). */
  beforeExit?: () => Promise<void>;
}

/** Builds the app, listens, and drains on SIGTERM/SIGINT. main.ts imports this after tracing is set up. */
export async function runGateway(options: GatewayOptions = {}): Promise<void> {
  const app = await createApp();
  const environment = app.get(Environment);
  await app.listen({ port: environment.PORT, host: environment.HOST });
  const logger = new Logger('Gateway');
  drainOnSignals(app, environment, logger, options.beforeExit ?? (() => Promise.resolve()));
  logger.log(
    `Mobile Identity Gateway listening on ${boundUrl(app)} (NODE_ENV=${environment.NODE_ENV}, database ${environment.usesEmbeddedDatabase ? 'embedded' : 'PostgreSQL'})`,
  );
}
