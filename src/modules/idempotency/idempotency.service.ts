import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import {
  IDEMPOTENT_REPLAYED_HEADER,
  IdempotencyKeyInUse,
  IdempotencyKeyTaken,
  type IdempotentRequest,
  type IdempotentRoute,
} from '../../common/http/idempotency.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { canonicalJson } from './canonical-json.js';
import {
  idempotencyKeyInUse,
  idempotencyKeyReused,
  invalidIdempotencyKey,
} from './idempotency.errors.js';
import { IdempotencyRepository, type StoredKey } from './idempotency.repository.js';

const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What identifies a request for its key: a repeat must match it exactly. */
export interface RequestShape {
  method: string;
  params: unknown;
  query: unknown;
  body: unknown;
}

/** The caller a key belongs to: the same key string of two callers are two keys. */
function scopeOf(caller: Caller): string {
  switch (caller.kind) {
    case 'client':
      return `client:${caller.clientId}`;
    case 'admin':
      return `admin:${caller.credential.id}`;
    case 'console_user':
      return `console_user:${caller.userId}`;
  }
}

/**
 * Stripe-style idempotency keys for the routes that opt in (`@Idempotent()`). The first request
 * with a key runs; its unit of work claims the key in PostgreSQL and stores its answer (sealed)
 * in the same statement or transaction as its side effects and audit event. A repeat with the
 * same request replays that answer; with another request it is refused. Within one instance, a
 * repeat arriving while the first runs waits for it; across instances the claim decides.
 */
@Injectable()
export class IdempotencyService {
  /** Keys whose first request is running in this process; repeats wait for them. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** Runs `handler` once per key, or answers with the stored answer (a web Response) of its first run. */
  async run(
    ctx: RequestContext,
    route: IdempotentRoute,
    key: string,
    request: RequestShape,
    handler: () => Promise<unknown>,
  ): Promise<unknown> {
    if (!KEY_PATTERN.test(key)) throw invalidIdempotencyKey();
    if (!ctx.caller) return handler();
    const scope = scopeOf(ctx.caller);
    const digest = digestOf(ctx, request);
    const slot = `${scope}\n${key}`;
    for (let waiting = this.running.get(slot); waiting; waiting = this.running.get(slot))
      await waiting;

    const stored = await this.repository.find(scope, key, this.clock.now());
    if (stored) return this.replay(ctx, route, stored, digest);

    let finished!: () => void;
    this.running.set(slot, new Promise<void>((resolve) => (finished = resolve)));
    const createdAt = this.clock.now();
    ctx.idempotency = this.requestOf(scope, key, digest, createdAt);
    try {
      return await handler();
    } catch (error) {
      if (error instanceof IdempotencyKeyTaken) {
        // Another instance committed the key first; this request committed nothing.
        ctx.idempotency = undefined;
        const winner = await this.repository.find(scope, key, this.clock.now());
        if (winner) return this.replay(ctx, route, winner, digest);
        throw idempotencyKeyInUse();
      }
      if (error instanceof IdempotencyKeyInUse) throw idempotencyKeyInUse();
      throw error;
    } finally {
      this.running.delete(slot);
      finished();
    }
  }

  private requestOf(
    scope: string,
    key: string,
    digest: string,
    createdAt: Date,
  ): IdempotentRequest {
    const box = this.box;
    return {
      scope,
      key,
      digest,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + IDEMPOTENCY_TTL_MS),
      seal(body: unknown) {
        const sealed = box.seal(JSON.stringify(body));
        return { sealed: sealed.ciphertext, keyVersion: sealed.keyVersion };
      },
    };
  }

  /** The stored answer, audited as a replay of the original request's event. */
  private replay(
    ctx: RequestContext,
    route: IdempotentRoute,
    stored: StoredKey,
    digest: string,
  ): Response {
    if (stored.digest !== digest) throw idempotencyKeyReused(route.mismatchStatus);
    if (!stored.answer) throw idempotencyKeyInUse();
    const body = this.box.open({
      ciphertext: stored.answer.bodySealed,
      keyVersion: stored.answer.keyVersion,
    });
    const action =
      ctx.audit.action ?? ctx.route.action ?? `${ctx.method} ${ctx.route.pattern ?? ''}`;
    ctx.audit.action = `${action}.replay`;
    // The replay's event names the original's, and never repeats its verdict (it decided nothing).
    ctx.audit.verdict = undefined;
    ctx.audit.detail = {
      ...ctx.audit.detail,
      replayOf: { eventId: stored.answer.eventId, correlationId: stored.answer.correlationId },
    };
    return new Response(body, {
      status: stored.answer.status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        [IDEMPOTENT_REPLAYED_HEADER]: 'true',
      },
    });
  }

  purgeExpired(): Promise<{ skipped: boolean; keys: number }> {
    return this.repository.purgeExpired(this.clock.now());
  }
}

/** SHA-256 of the canonical request: method, route, path parameters, query and body. */
function digestOf(ctx: RequestContext, request: RequestShape): string {
  const canonical = canonicalJson({
    method: request.method,
    route: ctx.route.pattern,
    params: request.params,
    query: request.query,
    body: request.body,
  });
  return createHash('sha256').update(canonical).digest('hex');
}
