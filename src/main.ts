// The entry point (`npm start`, the image's CMD). It imports almost nothing statically: with
// tracing on (OTEL_TRACES_EXPORTER=otlp), OpenTelemetry must hook fastify, pg, node:http and undici
// before anything imports them, so the application is imported only after the SDK started; with
// tracing off no OpenTelemetry module is loaded at all.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { EnvironmentError } from './common/config/environment.js';
import { tracingSettings } from './common/tracing/tracing-settings.js';

async function main(): Promise<void> {
  // Read before the app exists: the HTTP adapter's options (body limit, proxies) and tracing come from it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const settings = tracingSettings(process.env);
  const tracing = settings.enabled
    ? await (await import('./common/tracing/tracing.js')).startTracing(settings)
    : undefined;
  const { runGateway } = await import('./gateway.js');
  await runGateway({ beforeExit: tracing && (() => tracing.shutdown()) });
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
  if (
    ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '') &&
    error instanceof Error &&
    error.stack
  )
    return `Gateway failed to start: ${error.stack}`;
  return `Gateway failed to start: ${message.split('\n')[0]} (LOG_LEVEL=debug shows the stack)`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${startupFailure(error)}\n`);
  process.exit(1);
});
