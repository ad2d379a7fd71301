import { HttpException, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, CommonCodes, commonCodeForStatus } from '../errors/api-error.js';
import { contractOf } from './contract.js';
import { errorBody } from './error-envelope.js';
import { RequestAuditor } from './request-auditor.js';
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
 * Turns anything thrown while handling a request into an `ApiError`, then into the response of
 * the route's contract. Used by the global exception filter and by Fastify's own error handler
 * (body parsing and hooks run before Nest sees the request), so both paths answer identically.
 */
@Injectable()
export class ErrorResponder {
  private readonly logger = new Logger(ErrorResponder.name);

  constructor(
    private readonly routes: RouteTable,
    @Optional() private readonly auditor?: RequestAuditor,
  ) {}

  toApiError(error: unknown, request: FastifyRequest): ApiError {
    if (error instanceof ApiError) return error;
    // Nest wraps Fastify's own 4xx errors (body parsing) in an HttpException; judge the original.
    const original = error instanceof HttpException && error.cause !== undefined ? error.cause : error;
    if (original instanceof HttpException) return this.fromHttpException(original, request);
    const fastifyError = original as FastifyLikeError;
    if (typeof fastifyError?.code === 'string' && fastifyError.code.startsWith('FST_')) {
      return this.fromFastifyError(fastifyError.code, Number(fastifyError.statusCode));
    }
    // JSON.parse failures from the body parser carry a 400 status but no Fastify code.
    if (original instanceof SyntaxError && Number(fastifyError.statusCode) === 400) {
      return new ApiError(400, CommonCodes.malformedBody, 'The request body is not valid JSON.');
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return new ApiError(500, CommonCodes.internal, STATUS_MESSAGES[500]);
  }

  async send(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let apiError = this.toApiError(error, request);
    const contract = contractOf(request.url);
    if (this.auditor) {
      try {
        await this.auditor.recordRequest(request, apiError.status, apiError.codeFor(contract));
      } catch (auditError) {
        // A rejection that cannot be audited is still answered, as unavailable: never silently.
        this.logger.error(`audit write failed for a rejected request: ${auditError instanceof Error ? auditError.message : String(auditError)}`);
        apiError = new ApiError(503, CommonCodes.unavailable, STATUS_MESSAGES[503]);
      }
    }
    if (apiError.status >= 500) {
      this.logger.warn(`${request.method} ${request.routeOptions.url ?? 'unmatched route'} answered ${apiError.status} ${apiError.codeFor(contract)}`);
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
      const allowed = this.routes.methodsFor(request.url);
      if (allowed.length > 0) {
        return new ApiError(405, CommonCodes.methodNotAllowed, STATUS_MESSAGES[405], {
          allow: allowed.join(', '),
        });
      }
      return new ApiError(404, CommonCodes.notFound, STATUS_MESSAGES[404]);
    }
    // Framework exceptions may carry messages derived from the request: use our fixed texts.
    return new ApiError(status, commonCodeForStatus(status), STATUS_MESSAGES[status] ?? STATUS_MESSAGES[400]);
  }

  private fromFastifyError(code: string, status: number): ApiError {
    switch (code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new ApiError(413, CommonCodes.payloadTooLarge, STATUS_MESSAGES[413]);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new ApiError(415, CommonCodes.unsupportedMediaType, STATUS_MESSAGES[415]);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new ApiError(400, CommonCodes.malformedBody, 'The request body is empty but its content type is JSON.');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return new ApiError(400, CommonCodes.malformedBody, 'The request body is not valid JSON.');
      default: {
        const safeStatus = status >= 400 && status < 600 ? status : 500;
        return new ApiError(safeStatus, commonCodeForStatus(safeStatus), STATUS_MESSAGES[safeStatus] ?? STATUS_MESSAGES[400]);
      }
    }
  }
}
