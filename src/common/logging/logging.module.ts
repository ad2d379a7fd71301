import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { Environment } from '../config/environment.js';
import { correlationIdOf } from '../http/correlation.js';

// Only these request headers reach the logs: anything else may carry a credential or a phone
// number (operators inject the subscriber's MSISDN in a header of their choosing).
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'x-correlator', 'x-client-id'];

/** Paths pino blanks wherever they appear in a logged object, as a second line of defence. */
export const REDACTED_PATHS = [
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

/** One line per finished request (health probes excepted), with its correlation id. */
export function logCompletedRequest(request: FastifyRequest, reply: FastifyReply): void {
  if (request.url.startsWith('/health/')) return;
  PinoLogger.root.info(
    {
      // Flat fields: pino-http's `req`/`res` serializers expect raw Node objects.
      correlationId: request.id,
      method: request.method,
      path: pathOnly(request.url),
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
        pinoHttp: {
          level: environment.LOG_LEVEL,
          genReqId: (req: IncomingMessage) => correlationIdOf(req),
          customAttributeKeys: { reqId: 'correlationId' },
          quietReqLogger: true,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          // Completed requests are logged by `logCompletedRequest` (a Fastify hook), which also
          // sees requests that match no route; this middleware only gives handlers' logs context.
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
