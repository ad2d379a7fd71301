import { HttpException, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, CommonCodes, commonCodeForStatus } from '../errors/api-error.js';
import { routedPath } from './contract.js';
import { errorBody } from './error-envelope.js';
import { RequestContexts } from './request-contexts.js';
import { RouteTable } from './route-table.js';

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'The request is invalid.',
  401: 'Unauthorized',
  403: 'The client is not allowed to perform this operation.',
  404: 'The requested resource does not exist.',
  405: 'The method is not allowed on this resource.',
  413: 'The request body is too large.',
  415: 'The content type is not supported; send application/json.',
  429: 'Too many requests.',
  500: 'An unexpected error occurred.',
  503: 'The service is temporarily unavailable.',
  504: 'The request timed out.',
};

/**
 * PostgreSQL conditions that mean "the database cannot serve right now", not a bug: starting up
 * or shutting down (57P0x), connection failures (08xxx), too many connections (53300), a lock or
 * statement timeout (55P03, 57014). They are answered 503, which a caller may retry.
 */
const UNAVAILABLE_SQLSTATE = /^(57P0[1-4]|08...|53300|55P03|57014)$/;

/** Invalid byte sequence (22021) or an untranslatable character such as `\u0000` in jsonb (22P05). */
const UNSTORABLE_SQLSTATE = /^(22021|22P05)$/;

const isSqlState = (code: unknown): code is string =>
  typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);

interface ErrorLike {
  code?: unknown;
  cause?: ErrorLike & { originalCode?: unknown };
  clientVersion?: unknown;
  meta?: { driverAdapterError?: ErrorLike };
}

function sqlStateOf(error: unknown): string | undefined {
  for (let current = error as ErrorLike | undefined, depth = 0; current && depth < 5; depth++) {
    // Prisma's errors carry their own code (P2039…) and the server's in the driver adapter's cause:
    // `meta.driverAdapterError.cause.originalCode` (model queries) or `cause.originalCode`.
    const adapterCause = current.meta?.driverAdapterError?.cause ?? current.cause;
    if (isSqlState(adapterCause?.originalCode)) return adapterCause.originalCode;
    if (current.clientVersion === undefined && isSqlState(current.code)) return current.code;
    current = current.meta?.driverAdapterError ?? current.cause;
  }
  return undefined;
}

function isConnectionFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|timeout exceeded when trying to connect|Connection terminated|the database system is (starting up|shutting down)/i.test(
    message,
  );
}

/**
 * Turns anything thrown while handling a request into an `ApiError`, then into the response of
 * the route's contract. Used by the global exception filter and by Fastify's own error handler
 * (body parsing and hooks run before Nest sees the request), so both paths answer identically.
 * The answer's audit event is written by the audit layer before it leaves.
 */
@Injectable()
export class ErrorResponder {
  private readonly logger = new Logger(ErrorResponder.name);

  constructor(
    private readonly routes: RouteTable,
    private readonly contexts: RequestContexts,
  ) {}

  toApiError(error: unknown, request: FastifyRequest): ApiError {
    if (error instanceof ApiError) return error;
    // Nest wraps Fastify's own 4xx errors (body parsing) in an HttpException; judge the original.
    const original =
      error instanceof HttpException && error.cause !== undefined ? error.cause : error;
    if (original instanceof HttpException) return this.fromHttpException(original, request);
    const fastifyError = original as FastifyLikeError | null | undefined;
    if (typeof fastifyError?.code === 'string' && fastifyError.code.startsWith('FST_')) {
      return this.fromFastifyError(fastifyError.code, Number(fastifyError.statusCode));
    }
    // JSON.parse failures from the body parser carry a 400 status but no Fastify code.
    if (
      original instanceof SyntaxError &&
      Number((original as FastifyLikeError).statusCode) === 400
    ) {
      return new ApiError(400, CommonCodes.malformedBody, 'The request body is not valid JSON.');
    }
    const sqlState = sqlStateOf(original);
    // Text PostgreSQL cannot store (a NUL, an unpaired surrogate) that reached a query through a
    // path parameter: the caller's input, not a bug, and no stack trace per request.
    if (sqlState !== undefined && UNSTORABLE_SQLSTATE.test(sqlState)) {
      return new ApiError(
        400,
        CommonCodes.validation,
        'The request contains characters that cannot be stored.',
      );
    }
    if (
      (sqlState !== undefined && UNAVAILABLE_SQLSTATE.test(sqlState)) ||
      isConnectionFailure(original)
    ) {
      this.logger.warn(`database unavailable (${sqlState ?? 'connection'}): answering 503`);
      return new ApiError(503, CommonCodes.unavailable, STATUS_MESSAGES[503]);
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return new ApiError(500, CommonCodes.internal, STATUS_MESSAGES[500]);
  }

  async send(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const apiError = this.toApiError(error, request);
    const ctx = this.contexts.of(request);
    const contract = ctx.route.contract;
    ctx.errorCode = apiError.codeFor(contract);
    if (apiError.status >= 500) {
      this.logger.warn(
        `${request.method} ${ctx.route.pattern ?? 'unmatched route'} answered ${apiError.status} ${ctx.errorCode}`,
      );
    }
    await reply
      .status(apiError.status)
      .headers(apiError.headers)
      .type('application/json; charset=utf-8')
      .send(errorBody(contract, apiError.status, apiError.codeFor(contract), apiError.message));
  }

  private fromHttpException(error: HttpException, request: FastifyRequest): ApiError {
    const status = error.getStatus();
    if (status === 404 && request.routeOptions.url === undefined) {
      // No route matched. If the path exists under another method, say so (405 + Allow).
      const allowed = this.routes.methodsFor(routedPath(request.url));
      // The copy ignores a trailing slash, the router does not: never say "not allowed" of the method allowed.
      if (allowed.length > 0 && !allowed.includes(request.method)) {
        return new ApiError(405, CommonCodes.methodNotAllowed, STATUS_MESSAGES[405], {
          allow: allowed.join(', '),
        });
      }
      return new ApiError(404, CommonCodes.notFound, STATUS_MESSAGES[404]);
    }
    // Framework exceptions may carry messages derived from the request: use our fixed texts.
    return new ApiError(
      status,
      commonCodeForStatus(status),
      STATUS_MESSAGES[status] ?? STATUS_MESSAGES[400],
    );
  }

  private fromFastifyError(code: string, status: number): ApiError {
    switch (code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new ApiError(413, CommonCodes.payloadTooLarge, STATUS_MESSAGES[413]);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new ApiError(415, CommonCodes.unsupportedMediaType, STATUS_MESSAGES[415]);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new ApiError(
          400,
          CommonCodes.malformedBody,
          'The request body is empty but its content type is JSON.',
        );
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return new ApiError(400, CommonCodes.malformedBody, 'The request body is not valid JSON.');
      default: {
        const safeStatus = status >= 400 && status < 600 ? status : 500;
        return new ApiError(
          safeStatus,
          commonCodeForStatus(safeStatus),
          STATUS_MESSAGES[safeStatus] ?? STATUS_MESSAGES[400],
        );
      }
    }
  }
}
