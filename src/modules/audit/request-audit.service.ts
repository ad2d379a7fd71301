import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { ApiError, CommonCodes, commonCodeForStatus } from '../../common/errors/api-error.js';
import { CORRELATION_HEADER } from '../../common/http/correlation.js';
import { errorBody } from '../../common/http/error-envelope.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { RouteFactsRegistry } from '../../common/http/route-facts.js';
import type { AuditEventInput } from './audit-event.js';
import { AuditErrors } from './audit.errors.js';
import type { Tx } from './audit.repository.js';
import { AuditRepository } from './audit.repository.js';
import {
  AuditService,
  idempotencyClaimOf,
  type AnswerToStore,
  type AuditUnit,
} from './audit.service.js';
import { RefusalRollups, refusedRequestOf } from './refusal-rollups.js';
import { IdempotencyKeyTaken } from '../../common/http/idempotency.js';
import type { UnitClaims, UnitOutcome, UnitWrite } from './unit-of-work.js';
import { fastifyOf } from '../../common/http/fastify-instance.js';

/** How a request was answered, for its audit event (the rest comes from its context). */
export interface ResponseFacts {
  status: number;
  errorCode?: string;
  /** The decision delivered to the caller; only a success carries one. */
  verdict?: Record<string, unknown>;
  /**
   * The answer's body exactly as sent. On a route called with an `Idempotency-Key`, the unit
   * claims the key and stores this (sealed) for repeats; a unit without it claims nothing.
   */
  body?: unknown;
}

/** A request's unit of work: its claims and writes, and its answer for each outcome they can have. */
export interface RequestUnit {
  claims?: Omit<UnitClaims, 'jwt'>;
  writes?: UnitWrite[];
  ok: ResponseFacts;
  no_credit?: ResponseFacts;
  proof_spent?: ResponseFacts;
}

/** Events of answers already sent whose write failed: retried until the database takes them. */
const MAX_DEFERRED = 10_000;
const RETRY_EVERY_MS = 1_000;

/**
 * The audit event of every request to the public and admin APIs. Handlers with side effects
 * commit them with the event in one unit of work (`commit`, `transaction`); every other request
 * is recorded by a Fastify onSend hook before its answer leaves, so no answer leaves without its
 * committed event, and a request whose event cannot be written is answered 503 instead.
 */
@Injectable()
export class RequestAudit implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestAudit.name);
  private deferred: AuditEventInput[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly rollups: RefusalRollups;
  private rollupTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audit: AuditService,
    private readonly repository: AuditRepository,
    private readonly adapterHost: HttpAdapterHost,
    private readonly clock: Clock,
    environment: Environment,
    private readonly facts: RouteFactsRegistry,
  ) {
    this.rollups = new RefusalRollups(
      environment.AUDIT_ROLLUP_AFTER,
      environment.AUDIT_ROLLUP_WINDOW_MS,
    );
    if (environment.AUDIT_ROLLUP_AFTER > 0) {
      this.rollupTimer = setInterval(
        () => void this.flushRollups(false),
        Math.min(1_000, environment.AUDIT_ROLLUP_WINDOW_MS),
      );
      this.rollupTimer.unref();
    }
  }

  onModuleInit(): void {
    const fastify = fastifyOf(this.adapterHost);
    fastify?.addHook('onSend', (request, reply, payload) => this.onSend(request, reply, payload));
    // Requests Node's parser refuses (oversized headers, malformed request lines) never reach
    // Fastify's routing: they are answered and audited here instead of by Fastify's default handler.
    const server = fastify?.server;
    if (server) {
      server.removeAllListeners('clientError');
      server.on(
        'clientError',
        (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) =>
          void this.onClientError(error, socket),
      );
    }
  }

  /**
   * Answers a request the HTTP parser refused (431 for oversized headers, 408, else 400) in the
   * envelope of the contract its request line names, after its audit event is written.
   */
  private async onClientError(
    error: NodeJS.ErrnoException & { rawPacket?: Buffer },
    socket: Duplex,
  ): Promise<void> {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    const [method = '', target = '/'] = (
      error.rawPacket?.subarray(0, 8_192).toString('latin1').split('\r\n', 1)[0] ?? ''
    ).split(' ');
    const route = this.facts.forUnmatched(target);
    const code = commonCodeForStatus(status)[route.contract];
    const correlationId = randomUUID();
    const message =
      status === 431
        ? 'The request headers are too large.'
        : status === 408
          ? 'The request timed out.'
          : 'The request is malformed.';
    const remote = socket as Duplex & { remoteAddress?: string };
    const parsedMethod = /^[A-Z]{1,10}$/.test(method) ? method : undefined;
    // A flood of malformed requests is bounded like any other refused flood (one roll-up per window).
    const rolledUp =
      route.audited &&
      this.rollups.rollsUp(
        {
          sourceIp: remote.remoteAddress,
          method: parsedMethod ?? '(unparsed)',
          contract: route.contract,
          routePattern: undefined,
        },
        status,
        code,
        this.clock.now(),
      );
    if (route.audited && !rolledUp) {
      await this.audit
        .record({
          action: 'http.client_error',
          contract: route.contract,
          actorType: 'anonymous',
          outcome: 'failure',
          httpStatus: status,
          errorCode: code,
          correlationId,
          sourceIp: remote.remoteAddress,
          detail: { reason: error.code ?? 'unknown', method: parsedMethod },
        })
        .catch((failure: unknown) => {
          this.logger.error(
            `audit write of a refused request failed: ${failure instanceof Error ? failure.message : String(failure)}`,
          );
        });
    }
    if (!socket.writable) return void socket.destroy();
    const body = JSON.stringify(errorBody(route.contract, status, code, message));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\n${CORRELATION_HEADER}: ${correlationId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.rollupTimer);
    await this.flushRollups(true);
    clearTimeout(this.retryTimer);
    await this.retryDeferred();
    if (this.deferred.length > 0)
      this.logger.error(
        `${this.deferred.length} audit events of answered requests could not be written before shutdown`,
      );
  }

  /**
   * Commits the request's unit of work and its audit event; resolves with the outcome once
   * committed, rejects when nothing was committed. A JWT id the guard accepted is claimed here
   * too: when it was already used, the outcome is 'jwt_replayed' and the event is a 401. The
   * request's idempotency key is claimed after it: when another request holds the key, nothing
   * is committed and IdempotencyKeyTaken is thrown (the interceptor replays that request's answer).
   */
  async commit(ctx: RequestContext, unit: RequestUnit): Promise<UnitOutcome> {
    const events: AuditUnit['events'] = { ok: this.eventOf(ctx, unit.ok) };
    // Only outcomes the claims can produce get an event prepared (a sandbox client pays nothing).
    if (unit.no_credit && unit.claims?.debit) events.no_credit = this.eventOf(ctx, unit.no_credit);
    if (unit.proof_spent && unit.claims?.proof)
      events.proof_spent = this.eventOf(ctx, unit.proof_spent);
    const claims: UnitClaims = { ...unit.claims };
    // An answer the caller may retry (5xx) leaves the token usable.
    if (ctx.jwtClaim && unit.ok.status < 500) {
      claims.jwt = ctx.jwtClaim;
      events.jwt_replayed = this.eventOf(ctx, {
        status: 401,
        errorCode: CommonCodes.unauthenticated[ctx.route.contract],
      });
    }
    if (ctx.idempotency && unit.ok.body !== undefined) {
      const answers: Partial<Record<UnitOutcome, AnswerToStore>> = {};
      for (const outcome of ['ok', 'no_credit', 'proof_spent'] as const) {
        const facts = unit[outcome];
        if (facts?.body !== undefined)
          answers[outcome] = { status: facts.status, body: facts.body };
      }
      claims.idempotency = idempotencyClaimOf(ctx.idempotency, answers, ctx.correlationId);
    }
    let outcome: UnitOutcome;
    try {
      outcome = await this.audit.commit({
        claims,
        writes: unit.writes,
        events,
        deadline: ctx.deadline,
      });
    } catch (error) {
      // Whatever the statement's error, nothing of the unit was committed: the request changed
      // nothing and may be retried, so it is answered 503 (and that answer is recorded on its own).
      this.logger.error(
        `unit of work failed; answering 503: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw AuditErrors.unavailable();
    }
    if (outcome === 'idempotency_taken') throw new IdempotencyKeyTaken();
    ctx.recorded = true;
    return outcome;
  }

  /**
   * Runs `work` in one transaction and appends the request's audit event as its last statement,
   * so the change and its event commit together (the chain head is locked only for that end).
   */
  async transaction<T>(
    ctx: RequestContext,
    work: (tx: Tx) => Promise<T>,
    answer: (result: T) => ResponseFacts,
    writesOf?: (result: T) => UnitWrite[],
  ): Promise<T> {
    const idempotent = ctx.idempotency;
    const result = await this.repository.transaction(async (tx) => {
      // First, so that a concurrent repeat waits for this transaction instead of doing the work.
      if (idempotent) await this.audit.claimIdempotency(idempotent, tx);
      const done = await work(tx);
      const facts = answer(done);
      // Writes another module declares (an outbox's rows) run in the event's own statement.
      const writes = writesOf?.(done) ?? [];
      if (writes.length > 0 && idempotent)
        throw new Error(
          `${ctx.route.pattern ?? 'route'} is idempotent: its unit cannot carry writes`,
        );
      if (!idempotent) {
        await this.audit.commit({ events: { ok: this.eventOf(ctx, facts) }, writes }, tx);
      } else {
        if (facts.body === undefined)
          throw new Error(
            `${ctx.route.pattern ?? 'route'} is idempotent but its unit answers no body`,
          );
        await this.audit.recordAnswered(this.eventOf(ctx, facts), tx, idempotent, {
          status: facts.status,
          body: facts.body,
        });
      }
      return done;
    });
    ctx.recorded = true;
    return result;
  }

  eventOf(ctx: RequestContext, facts: ResponseFacts): AuditEventInput {
    const caller = ctx.caller;
    const audit = ctx.audit;
    const succeeded = facts.status < 400;
    return {
      action:
        audit.action ?? ctx.route.action ?? `${ctx.method} ${ctx.route.pattern ?? '(unmatched)'}`,
      contract: ctx.route.contract,
      actorType: caller?.kind ?? 'anonymous',
      actorId:
        caller === undefined
          ? undefined
          : caller.kind === 'client'
            ? caller.clientId
            : caller.kind === 'console_user'
              ? caller.userId
              : caller.credential.id,
      clientId: caller?.kind === 'client' ? caller.clientId : undefined,
      credential: caller?.credential,
      outcome: succeeded ? 'success' : 'failure',
      httpStatus: facts.status,
      errorCode: facts.errorCode,
      serviceType: audit.serviceType,
      operatorId: audit.operatorId,
      phoneNumber: audit.phoneNumber,
      verdict: succeeded ? facts.verdict : undefined,
      upstream: audit.upstream,
      detail: audit.detail,
      correlationId: ctx.correlationId,
      latencyMs: ctx.elapsedMs(),
      sourceIp: ctx.sourceIp,
      userAgent: ctx.userAgent,
    };
  }

  /** Every answer not yet recorded by a unit of work is recorded here, before it leaves. */
  private async onSend(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
  ): Promise<unknown> {
    const ctx = request.context;
    if (!ctx || !ctx.route.audited || ctx.recorded) return payload;
    const status = reply.statusCode;
    if (
      ctx.caller === undefined &&
      status >= 400 &&
      status < 500 &&
      this.rollups.rollsUp(refusedRequestOf(ctx), status, ctx.errorCode, this.clock.now())
    ) {
      ctx.recorded = true; // counted in its source's roll-up event
      return payload;
    }
    try {
      const outcome = await this.commit(ctx, {
        ok: { status, errorCode: ctx.errorCode, verdict: ctx.audit.verdict },
      });
      if (outcome === 'jwt_replayed') {
        return replaceAnswer(ctx, reply, payload, AuditErrors.jwtReplayed(ctx.route.contract));
      }
      return payload;
    } catch {
      // Nothing was committed (commit logged why): no verdict leaves. The 503 is recorded as soon
      // as the database takes it.
      const unavailable = AuditErrors.unavailable();
      this.defer(
        this.eventOf(ctx, { status: 503, errorCode: unavailable.codeFor(ctx.route.contract) }),
      );
      ctx.recorded = true;
      return replaceAnswer(ctx, reply, payload, unavailable);
    }
  }

  /** Appends the roll-up events of ended windows (all of them at shutdown); a failed write is retried. */
  private async flushRollups(all: boolean): Promise<void> {
    await Promise.all(
      this.rollups.due(this.clock.now(), all).map((event) =>
        this.audit.record(event).catch(() => {
          this.defer(event);
        }),
      ),
    );
  }

  private defer(event: AuditEventInput): void {
    if (this.deferred.length >= MAX_DEFERRED) {
      this.logger.error('too many audit events waiting for the database; dropping the oldest');
      this.deferred.shift();
    }
    this.deferred.push(event);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.deferred.length === 0) return;
    this.retryTimer = setTimeout(() => {
      void this.retryDeferred().finally(() => {
        this.retryTimer = undefined;
        this.scheduleRetry();
      });
    }, RETRY_EVERY_MS);
    this.retryTimer.unref();
  }

  private async retryDeferred(): Promise<void> {
    const waiting = this.deferred;
    this.deferred = [];
    const failed: AuditEventInput[] = [];
    await Promise.all(
      waiting.map((event) => this.audit.record(event).catch(() => failed.push(event))),
    );
    this.deferred.push(...failed);
  }
}

/** Swaps the answer for an error in the route's envelope (the original body, a stream perhaps, is dropped). */
function replaceAnswer(
  ctx: RequestContext,
  reply: FastifyReply,
  payload: unknown,
  error: ApiError,
): string {
  if (payload && typeof (payload as { destroy?: unknown }).destroy === 'function')
    (payload as { destroy(): void }).destroy();
  const contract = ctx.route.contract;
  ctx.errorCode = error.codeFor(contract);
  reply.code(error.status);
  reply.removeHeader('content-disposition');
  reply.removeHeader('content-length');
  reply.header('content-type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return JSON.stringify(errorBody(contract, error.status, error.codeFor(contract), error.message));
}
