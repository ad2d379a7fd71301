import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mergeMap, type Observable } from 'rxjs';
import { AUDIT_ACTION, auditFacts } from '../../common/http/audit-facts.js';
import { AuditErrors } from './audit.errors.js';
import { HttpRequestAuditor, isAuditedPath } from './request-auditor.service.js';

/**
 * No verdict before its record: the body of every successful public/admin API call is held until
 * its audit event is committed. If the write fails, the caller gets 503 in its contract's envelope
 * instead (the error responder then tries to record that 503: at most one event per request,
 * since the failed write committed nothing).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(
    private readonly auditor: HttpRequestAuditor,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!isAuditedPath(request.url)) return next.handle();
    const action = this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION, [context.getHandler(), context.getClass()]);
    if (action) auditFacts(request).action ??= action;

    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        const reply = context.switchToHttp().getResponse<FastifyReply>();
        try {
          await this.auditor.recordRequest(request, this.statusOf(context, request, reply), null);
        } catch (error) {
          this.logger.error(`audit write failed; answering 503: ${error instanceof Error ? error.message : String(error)}`);
          throw AuditErrors.unavailable();
        }
        return body;
      }),
    );
  }

  /** Nest applies the status after interceptors: @HttpCode, a status the handler set, or the default. */
  private statusOf(context: ExecutionContext, request: FastifyRequest, reply: FastifyReply): number {
    const declared = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler());
    if (declared !== undefined) return declared;
    if (reply.statusCode !== 200) return reply.statusCode;
    return request.method === 'POST' ? 201 : 200;
  }
}
