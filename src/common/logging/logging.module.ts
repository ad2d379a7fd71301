import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestContext } from '@fastify/request-context';
import { Module } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { Environment } from '../config/environment.js';
import { correlationIdOf } from '../http/correlation.js';

// Only these request headers reach the logs: anything else may carry a credential or a phone
// number (operators inject the subscriber's MSISDN in a header of their choosing).
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'x-correlator', 'x-client-id'];

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

function pathOnly(url: string | undefined): string {
  // Query strings can hold search terms such as a phone number: log their keys only.
  const [path, query] = (url ?? '').split('?', 2);
  if (!query) return path;
  const keys = [...new URLSearchParams(query).keys()];
  return `${path}?${keys.map((key) => `${key}=…`).join('&')}`;
}

/** Runs of 6 or more digits (a phone number, with or without `+`, or a long id) become `…`. */
const DIGIT_RUN = /\+?(?:%2B)?\d[\d\s.%-]{4,}\d/gi;

/**
 * The path a log line names: the route pattern (`/admin/v1/sandbox/sim-swap/:phoneNumber`) when a
 * route matched, so a number in the path never reaches the logs; otherwise the raw path without
 * its query values and with digit runs masked.
 */
function loggedPath(request: FastifyRequest): string {
  const pattern = request.context?.route.pattern;
  if (pattern === undefined) return pathOnly(request.url).replace(DIGIT_RUN, '…');
  const query = request.url.indexOf('?');
  return query === -1 ? pattern : `${pattern}${pathOnly(`?${request.url.slice(query + 1)}`)}`;
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
            req: (req: Partial<IncomingMessage> & { raw?: IncomingMessage; remoteAddress?: string }) => {
              const headers = (req.raw ?? req).headers ?? {};
              return {
                method: req.method,
                url: pathOnly(req.url),
                headers: Object.fromEntries(
                  LOGGED_HEADERS.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]),
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
