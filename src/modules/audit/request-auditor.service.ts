import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf } from '../../common/auth/auth.decorators.js';
import { auditFacts } from '../../common/http/audit-facts.js';
import { contractOf } from '../../common/http/contract.js';
import { RequestAuditor } from '../../common/http/request-auditor.js';
import { AuditActionMap } from './audit-action-map.js';
import type { AuditEventInput } from './audit-event.js';
import { AuditService } from './audit.service.js';

/** The paths of the public and admin APIs; health checks and documentation are not audited. */
const AUDITED_PREFIXES = ['/v1/', '/mobile-identity/', '/sim-swap/', '/device-swap/', '/number-verification/', '/admin/'];

export function isAuditedPath(url: string): boolean {
  const path = url.split('?', 1)[0];
  return AUDITED_PREFIXES.some((prefix) => path.startsWith(prefix) || `${path}/` === prefix);
}

const started = new WeakMap<object, bigint>();
const recorded = new WeakSet<object>();

/**
 * Builds and writes the audit event of an HTTP request, from the authenticated caller, the facts
 * the handler gathered and the response status. Called by the audit interceptor before a success
 * is sent and by the error responder before an error is sent; a request that already has its
 * committed event is not recorded twice.
 */
@Injectable()
export class HttpRequestAuditor extends RequestAuditor implements OnModuleInit {
  constructor(
    private readonly audit: AuditService,
    private readonly actions: AuditActionMap,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  onModuleInit(): void {
    // Latency is measured from the moment the request arrives, before guards and body parsing.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onRequest', (request, _reply, done) => {
      started.set(request.raw, process.hrtime.bigint());
      done();
    });
  }

  async recordRequest(request: FastifyRequest, status: number, errorCode: string | null): Promise<void> {
    if (!isAuditedPath(request.url) || recorded.has(request.raw)) return;
    await this.audit.record(this.eventOf(request, status, errorCode));
    recorded.add(request.raw);
  }

  eventOf(request: FastifyRequest, status: number, errorCode: string | null): AuditEventInput {
    const caller = callerOf(request);
    const facts = auditFacts(request);
    const route = request.routeOptions?.url;
    const start = started.get(request.raw);
    const userAgent = request.headers['user-agent'];
    const succeeded = status < 400;
    return {
      action: facts.action ?? this.actions.lookup(request.method, route) ?? `${request.method} ${route ?? '(unmatched)'}`,
      contract: contractOf(request.url),
      actorType: caller?.kind ?? 'anonymous',
      actorId: caller === undefined ? undefined : caller.kind === 'client' ? caller.clientId : caller.credential.id,
      clientId: caller?.kind === 'client' ? caller.clientId : undefined,
      credential: caller?.credential,
      outcome: succeeded ? 'success' : 'failure',
      httpStatus: status,
      errorCode: errorCode ?? undefined,
      serviceType: facts.serviceType,
      operatorId: facts.operatorId,
      phoneNumber: facts.phoneNumber,
      // Only a delivered decision is a verdict; an error response carries none.
      verdict: succeeded ? facts.verdict : undefined,
      upstream: facts.upstream,
      detail: facts.detail,
      correlationId: request.id,
      latencyMs: start === undefined ? undefined : Number((process.hrtime.bigint() - start) / 1_000_000n),
      sourceIp: request.ip,
      userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    };
  }
}
