import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
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
          autoLogging: {
            ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health/'),
          },
          serializers: {
            req: (req: IncomingMessage & { id?: string; raw?: IncomingMessage }) => {
              const raw = req.raw ?? req;
              return {
                method: req.method,
                url: pathOnly(req.url),
                headers: Object.fromEntries(
                  LOGGED_HEADERS.filter((name) => raw.headers[name] !== undefined).map((name) => [
                    name,
                    raw.headers[name],
                  ]),
                ),
                remoteAddress: raw.socket?.remoteAddress,
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
