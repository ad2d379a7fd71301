import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT,
  type IdempotentRoute,
} from '../../common/http/idempotency.js';
import { invalidIdempotencyKey } from './idempotency.errors.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * On routes marked `@Idempotent()` and called with an `Idempotency-Key`: runs the handler once per
 * key, or answers with the stored answer. Runs after the guard (the key is the caller's) and
 * before validation, so the digest is of the body as sent.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private service: IdempotencyService | undefined;

  // Route-scoped (`attachRouteInterceptors`): built in each controller's module, which need not
  // import IdempotencyModule; the service is the application's singleton, looked up once.
  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  private get idempotency(): IdempotencyService {
    this.service ??= this.moduleRef.get(IdempotencyService, { strict: false });
    if (!this.service) throw new Error('IdempotencyService is not provided in this application');
    return this.service;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<IdempotentRoute | undefined>(IDEMPOTENT, context.getHandler());
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (!route || header === undefined || !request.context) return next.handle();
    if (typeof header !== 'string') throw invalidIdempotencyKey();
    const shape = {
      method: request.method,
      params: request.params,
      query: request.query,
      body: request.body,
    };
    return from(
      this.idempotency.run(request.context, route, header, shape, () =>
        lastValueFrom(next.handle(), { defaultValue: undefined }),
      ),
    );
  }
}
