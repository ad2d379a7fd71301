import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller.js';
import type { Contract } from '../errors/api-error.js';
import type { AuditFacts } from './audit-facts.js';
import type { IdempotentRequest } from './idempotency.js';

/** What is fixed about a route: declared once, when the route is registered, never derived from the raw URL. */
export interface RouteFacts {
  /** The wire contract: the envelope of its errors and the audit event's contract. */
  readonly contract: Contract;
  /** Public and admin API routes are audited; health checks and documentation are not. */
  readonly audited: boolean;
  /** The route's `@AuditAction`, if it names one. */
  readonly action: string | undefined;
  /** The route pattern (`/v1/api/verify/:transactionId`); undefined when no route matched. */
  readonly pattern: string | undefined;
  /**
   * How the route's side effects commit with its audit event: 'transaction' (an audited route
   * that changes state: its handler runs in one transaction that ends with its event), 'own' (it
   * commits its own unit of work, `@OwnUnitOfWork()`), 'none' (reads; the event is recorded as the
   * answer leaves).
   */
  readonly unitOfWork: 'transaction' | 'own' | 'none';
  /** The status of a successful answer (`@HttpCode`, else 201 for POST and 200 otherwise). */
  readonly successStatus: number;
  /** `@RouteDeadline(ms)`: this route's deadline instead of REQUEST_DEADLINE_MS. */
  readonly deadlineMs?: number | undefined;
}

/** A JWT id the guard accepted; its single use is claimed with the request's audit event. */
export interface PendingJwtClaim {
  keyId: string;
  jti: string;
  expiresAt: Date;
}

/**
 * Everything the gateway knows about one request, created when it arrives and handed explicitly
 * to whoever needs it (handlers take it with `@Ctx()`). The audit layer writes the request's
 * event from it.
 */
export class RequestContext {
  /** Set by the global guard once a credential is accepted. */
  caller: Caller | undefined;
  /** What a handler learned that the audit event must hold (action, number, verdict…). */
  readonly audit: AuditFacts = {};
  /** True once the request's audit event is committed: nothing records it again. */
  recorded = false;
  /** The error code of an error answer, set by the error responder. */
  errorCode: string | undefined;
  jwtClaim: PendingJwtClaim | undefined;
  /** Set by the idempotency interceptor when an opted-in route is called with an `Idempotency-Key`. */
  idempotency: IdempotentRequest | undefined;

  constructor(
    readonly method: string,
    readonly correlationId: string,
    readonly sourceIp: string,
    readonly userAgent: string | undefined,
    public route: RouteFacts,
    /** `performance.now()` when the request arrived. */
    readonly startedAt: number,
    /** `performance.now()` after which the request must be answered, with 503 if nothing else. */
    readonly deadline: number,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  remainingMs(): number {
    return this.deadline - performance.now();
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the gateway's onRequest hook (see `configureApp`). */
    context: RequestContext | null;
  }
}

/** The handler's request context: `@Ctx() ctx: RequestContext`. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  if (!request.context) throw new Error('request context missing: the onRequest hook did not run');
  return request.context;
});
