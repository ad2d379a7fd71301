import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * The Fastify instance behind Nest, or undefined in an application context without HTTP (the CLI's
 * `createApplicationContext`): there HttpAdapterHost holds no adapter, although its type says it
 * always does.
 */
export function fastifyOf(host: HttpAdapterHost): FastifyInstance | undefined {
  const adapter = host.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
  return adapter?.getInstance<FastifyInstance>();
}
