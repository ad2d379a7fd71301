import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestContext } from '@fastify/request-context';
import { Module } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { Environment } from '../config/environment.js';
import { correlationIdOf } from '../http/correlation.js';
import { redactedPath } from './redacted-path.js';

// Only these request headers reach the logs: anything else may carry a credential or a phone
// number (operators inject the subscriber's MSISDN in a header of their choosing).
const LOGGED_HEADERS = [
  'user-agent',
  'content-type',
  'content-length',
  'x-correlator',
  'x-client-id',
];

/** Paths pino blanks wherever they appear in a logged object, as a second line of defence. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-sdk-token"]',
  'req.headers.cookie',
  '*.apiKey',
  '*.secret',
  '*.secretKey',
  '*.clientSecret',
  '*.password',
  '*.token',
  '*.mobileNumber',
  '*.phoneNumber',
  '*.msisdn',
  '*.encryptedMobileNumber',
];

/**
 * The path a log line names: the route pattern when a route matched, otherwise the raw path with
 * digit runs masked; query values never (redacted-path.ts, shared with the trace spans).
 */
function loggedPath(request: FastifyRequest): string {
  return redactedPath(request.url, request.context?.route.pattern);
}

/** The correlation id of the request being served (async context), on every log line written while serving it. */
function correlationMixin(): Record<string, unknown> {
  const correlationId = requestContext.get('correlationId');
  return correlationId === undefined ? {} : { correlationId };
}

declare module '@fastify/request-context' {
  interface RequestContextData {
    correlationId: string;
  }
}

/** One line per finished request (health probes excepted), with its correlation id. */
export function logCompletedRequest(request: FastifyRequest, reply: FastifyReply): void {
  if (request.context?.route.pattern?.startsWith('/health/')) return;
  PinoLogger.root.info(
    {
      // Flat fields: pino-http's `req`/`res` serializers expect raw Node objects.
      correlationId: request.id,
      method: request.method,
      path: loggedPath(request),
      status: reply.statusCode,
      remoteAddress: request.ip,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    },
    'request completed',
  );
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Environment],
      useFactory: (environment: Environment) => ({
        // No per-request middleware (pino-http through @fastify/middie costs a child logger and a
        // middleware pass per request): lines get the correlation id from the async context that
        // @fastify/request-context opens per request (see `configureApp`), and completed requests
        // are logged by `logCompletedRequest` from the onResponse hook.
        forRoutes: [],
        pinoHttp: {
          level: environment.LOG_LEVEL,
          genReqId: (req: IncomingMessage) => correlationIdOf(req),
          customAttributeKeys: { reqId: 'correlationId' },
          quietReqLogger: true,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          mixin: correlationMixin,
          autoLogging: false,
          serializers: {
            req: (
              req: Partial<IncomingMessage> & { raw?: IncomingMessage; remoteAddress?: string },
            ) => {
              const headers = (req.raw ?? req).headers ?? {};
              return {
                method: req.method,
                url: redactedPath(req.url ?? ''),
                headers: Object.fromEntries(
                  LOGGED_HEADERS.filter((name) => headers[name] !== undefined).map((name) => [
                    name,
                    headers[name],
                  ]),
                ),
                remoteAddress: req.remoteAddress ?? (req.raw ?? req).socket?.remoteAddress,
              };
            },
            res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
