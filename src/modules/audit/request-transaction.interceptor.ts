import {
  HttpException,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { PrismaService } from '../../common/database/prisma.service.js';
import {
  asJoinableClient,
  requestTransaction,
  type RequestTransactionScope,
} from '../../common/database/request-transaction.js';
import { ApiError } from '../../common/errors/api-error.js';
import { ErrorResponder } from '../../common/http/error-responder.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { AuditService } from './audit.service.js';
import { RequestAudit } from './request-audit.service.js';

/** Lower bound of a request transaction's time, so a request near its deadline still gets a try. */
const MIN_TRANSACTION_MS = 1_000;

/**
 * One unit of work for every audited route that changes state and does not commit its own
 * (`RouteFacts.unitOfWork === 'transaction'`: admin, console and self-service changes). The
 * handler runs inside one transaction, which its repositories join through
 * `PrismaService.client`, and the request's audit event is its last statement:
 * - success: the change and the event commit together;
 * - a 4xx the handler chose (a refusal, or a failed sign-in that counts towards a lockout): what
 *   it wrote and the error's event commit together;
 * - a 5xx or an unexpected error: everything is rolled back and the error's own event is
 *   recorded as the answer leaves (`RequestAudit`), so nothing changed without its event.
 */
@Injectable()
export class RequestTransactionInterceptor implements NestInterceptor {
  private readonly logger = new Logger(RequestTransactionInterceptor.name);
  private services:
    | { prisma: PrismaService; audit: AuditService; requests: RequestAudit; errors: ErrorResponder }
    | undefined;

  // Route-scoped (`attachRouteInterceptors`): Nest builds one in each controller's module, where
  // not all of these are providers; they are the application's singletons, looked up once.
  constructor(private readonly moduleRef: ModuleRef) {}

  private get prisma(): PrismaService {
    return this.resolved().prisma;
  }

  private get audit(): AuditService {
    return this.resolved().audit;
  }

  private get requests(): RequestAudit {
    return this.resolved().requests;
  }

  private get errors(): ErrorResponder {
    return this.resolved().errors;
  }

  private resolved(): NonNullable<RequestTransactionInterceptor['services']> {
    this.services ??= {
      prisma: this.moduleRef.get(PrismaService, { strict: false }),
      audit: this.moduleRef.get(AuditService, { strict: false }),
      requests: this.moduleRef.get(RequestAudit, { strict: false }),
      errors: this.moduleRef.get(ErrorResponder, { strict: false }),
    };
    return this.services;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const ctx = request.context;
    if (!ctx || ctx.route.unitOfWork !== 'transaction') return next.handle();
    return from(
      this.run(ctx, request, http.getResponse<FastifyReply>(), () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      ),
    );
  }

  private async run(
    ctx: RequestContext,
    request: FastifyRequest,
    reply: FastifyReply,
    handle: () => Promise<unknown>,
  ): Promise<unknown> {
    const scope: RequestTransactionScope = { client: undefined, open: true, afterCommit: [] };
    const timeout = Math.max(MIN_TRANSACTION_MS, ctx.remainingMs());
    let refusal: { error: unknown } | undefined;
    let result: unknown;
    try {
      result = await this.prisma.root.$transaction(
        async (tx) => {
          scope.client = asJoinableClient(tx);
          return requestTransaction.run(scope, async () => {
            try {
              const value = await handle();
              if (!ctx.recorded) {
                const status =
                  reply.statusCode !== 200 ? reply.statusCode : ctx.route.successStatus;
                await this.audit.record(
                  this.requests.eventOf(ctx, { status, verdict: ctx.audit.verdict }),
                  scope.client,
                );
              }
              return value;
            } catch (error) {
              const answer = this.refusalOf(error, request);
              if (!answer || ctx.recorded) throw error;
              try {
                await this.audit.record(
                  this.requests.eventOf(ctx, {
                    status: answer.status,
                    errorCode: answer.codeFor(ctx.route.contract),
                  }),
                  scope.client,
                );
              } catch {
                // The transaction is unusable (a statement the handler caught had failed): roll
                // back, and the refusal is recorded on its own as it leaves.
                throw error;
              }
              refusal = { error };
              return undefined;
            }
          });
        },
        { timeout, maxWait: timeout },
      );
    } catch (error) {
      // Nothing was committed, whatever a nested transaction reported.
      ctx.recorded = false;
      throw error;
    } finally {
      scope.open = false;
    }
    ctx.recorded = true;
    for (const work of scope.afterCommit) {
      try {
        requestTransaction.exit(work);
      } catch (error) {
        this.logger.error(
          `work after commit failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (refusal) throw refusal.error;
    return result;
  }

  /** The 4xx answer a handler chose by throwing, or undefined for anything that must roll back. */
  private refusalOf(error: unknown, request: FastifyRequest): ApiError | undefined {
    if (!(error instanceof ApiError) && !(error instanceof HttpException)) return undefined;
    const answer = this.errors.toApiError(error, request);
    return answer.status < 500 ? answer : undefined;
  }
}
