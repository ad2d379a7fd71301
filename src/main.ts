import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { Environment, EnvironmentError } from './common/config/environment.js';
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
 * ends it at once (the default action of a signal without a listener).
 */
function drainOnSignals(app: NestFastifyApplication, environment: Environment, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    logger.log(`${signal}: draining (readiness 503, no new connections, up to ${environment.SHUTDOWN_TIMEOUT_MS} ms)`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${environment.SHUTDOWN_TIMEOUT_MS}; exiting`);
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

async function main(): Promise<void> {
  // Read before the app exists: the HTTP adapter's options (body limit, proxies) come from it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await createApp();
  const environment = app.get(Environment);
  await app.listen({ port: environment.PORT, host: environment.HOST });
  const logger = new Logger('Gateway');
  drainOnSignals(app, environment, logger);
  logger.log(`Mobile Identity Gateway listening on ${boundUrl(app)} (NODE_ENV=${environment.NODE_ENV}, database ${environment.usesEmbeddedDatabase ? 'embedded' : 'PostgreSQL'})`);
}

/**
 * A start-up failure as one line on stderr: configuration errors name the variable and the fix;
 * anything else gives its message, with the stack only at LOG_LEVEL=debug or trace.
 */
function startupFailure(error: unknown): string {
  if (error instanceof EnvironmentError) return error.message;
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    return `Gateway failed to start: cannot listen (${code}); set PORT (and HOST) to a free address the process may bind`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '') && error instanceof Error && error.stack) return `Gateway failed to start: ${error.stack}`;
  return `Gateway failed to start: ${message.split('\n')[0]} (LOG_LEVEL=debug shows the stack)`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${startupFailure(error)}\n`);
  process.exit(1);
});
