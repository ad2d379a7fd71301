import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Summary of one call the gateway made to an operator or upstream service. */
export interface UpstreamCall {
  operatorId: string;
  /** HTTP status, or a failure label such as 'timeout' / 'circuit_open' / 'network'. */
  status: number | string;
  latencyMs: number;
}

/**
 * What a handler learned about a request that its audit event must hold: `RequestContext.audit`.
 * Handlers fill it in as they go; the audit layer writes it, with the status and timing, when the
 * response is decided. Holds the phone number in clear only in memory: the audit layer hashes
 * and masks it before anything is written.
 */
export interface AuditFacts {
  /** e.g. 'verify', 'sdk.session', 'sim_swap.check', 'credential.rotate'. Defaults from the route. */
  action?: string;
  serviceType?: string;
  operatorId?: string;
  phoneNumber?: string;
  /** The decision returned to the caller, e.g. { validNumber: true } or { swapped: false }. */
  verdict?: Record<string, unknown>;
  upstream?: UpstreamCall[];
  /** Extra non-personal detail (e.g. the id of a client an admin changed). */
  detail?: Record<string, unknown>;
}

/** This request's audit facts (its context's); prefer taking the context with `@Ctx()`. */
export function auditFacts(request: FastifyRequest): AuditFacts {
  if (!request.context) throw new Error('request context missing: the onRequest hook did not run');
  return request.context.audit;
}

export const AUDIT_ACTION = 'audit:action';

/** Names the audit action of a route (e.g. 'verify', 'sim_swap.check'); read by the audit layer. */
export const AuditAction = (action: string): ClassDecorator & MethodDecorator =>
  SetMetadata(AUDIT_ACTION, action);

export const OWN_UNIT_OF_WORK = 'audit:own-unit-of-work';

/**
 * The handler commits its side effects and its audit event itself, in one unit of work
 * (`RequestAudit.commit` or `RequestAudit.transaction`), so the gateway does not wrap it in a
 * request transaction. For the hot paths, whose units are group-committed.
 */
export const OwnUnitOfWork = (): ClassDecorator & MethodDecorator =>
  SetMetadata(OWN_UNIT_OF_WORK, true);

export const ROUTE_DEADLINE_MS = 'http:route-deadline-ms';

/**
 * This route's deadline instead of REQUEST_DEADLINE_MS: for the few whose work grows with the
 * data asked for (a backtest over a 93-day window), so a long answer is not lost to a 503 after it
 * was computed. The audit event still commits within it.
 */
export const RouteDeadline = (milliseconds: number): ClassDecorator & MethodDecorator =>
  SetMetadata(ROUTE_DEADLINE_MS, milliseconds);
