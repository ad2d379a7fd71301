import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-docs.decorators.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** Read by `finishDocument`: adds the `Idempotent-Replayed` header to the operation's 2xx answers. */
export const IDEMPOTENT_EXTENSION = 'x-idempotent';
export const IDEMPOTENT = 'idempotency:route';

export const IdempotencyCodes = {
  /** The key was used with another request (method, path, query or body). */
  mismatch: 'IDEMPOTENCY_KEY_REUSED',
  /** The first request with the key is still running (on another instance) and did not finish in time. */
  inFlight: 'IDEMPOTENCY_KEY_IN_USE',
  /** The header is not 1–255 printable ASCII characters. */
  invalid: 'INVALID_IDEMPOTENCY_KEY',
} as const;

/** What a route that opts in declares (`@Idempotent()`). */
export interface IdempotentRoute {
  /** Status of a key reused with another request: 409 by default, 422 where the contract says so. */
  mismatchStatus: 409 | 422;
}

/**
 * The request's `Idempotency-Key` as its unit of work claims it: the caller's scope, the key, the
 * digest of the canonical request, and the sealing of the answer stored for a repeat.
 */
export interface IdempotentRequest {
  readonly scope: string;
  readonly key: string;
  readonly digest: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** The answer body, sealed under the server's key-encryption key (it may hold a new secret). */
  seal(body: unknown): { sealed: string; keyVersion: number };
}

/**
 * Thrown by a unit of work whose key another request claimed first (nothing of it was
 * committed): the interceptor answers with that request's stored answer instead.
 */
export class IdempotencyKeyTaken extends Error {
  constructor() {
    super('the idempotency key was claimed by another request');
    this.name = 'IdempotencyKeyTaken';
  }
}

/**
 * Thrown when claiming the key waited for another instance's transaction holding it until the
 * lock timeout: that request is still running. Answered 409 IDEMPOTENCY_KEY_IN_USE.
 */
export class IdempotencyKeyInUse extends Error {
  constructor() {
    super('the idempotency key is held by a request still running');
    this.name = 'IdempotencyKeyInUse';
  }
}

/** PostgreSQL's lock timeout (55P03), as pg or Prisma's driver adapter report it. */
export function isLockTimeout(error: unknown): boolean {
  for (
    let current: unknown = error, depth = 0;
    current && depth < 4;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    if ((current as { code?: unknown }).code === '55P03') return true;
    if ((current as { originalCode?: unknown }).originalCode === '55P03') return true;
    if (current instanceof Error && /55P03|lock timeout/i.test(current.message)) return true;
  }
  return false;
}

const DESCRIPTION =
  'Makes a retry safe: a repeat with the same key and the same request replays the first answer (status and body, with ' +
  '`Idempotent-Replayed: true`) and does nothing again. Keys are 1–255 printable ASCII characters, scoped to the ' +
  'authenticated caller, and kept 24 hours. A repeat while the first request runs waits for it (up to about a second ' +
  'on another instance, else 409 IDEMPOTENCY_KEY_IN_USE). Only an answer committed with the effects of the request is ' +
  'stored (including a verify refused for lack of credit); after any other error (validation, 404, 503) the key stays unused.';

/**
 * Opts a mutating route in: its handler's unit of work (`RequestAudit.commit` / `transaction`, or a
 * module's own transaction through `AuditService.claimIdempotency`) claims the key and stores the
 * answer. Also documents the header and the 409/422 answers.
 */
export function Idempotent(options: Partial<IdempotentRoute> = {}): MethodDecorator {
  const route: IdempotentRoute = { mismatchStatus: options.mismatchStatus ?? 409 };
  return applyDecorators(
    SetMetadata(IDEMPOTENT, route),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: DESCRIPTION,
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    }),
    ApiExtension(IDEMPOTENT_EXTENSION, true),
    ApiErrors({
      400: [IdempotencyCodes.invalid],
      409:
        route.mismatchStatus === 409
          ? [IdempotencyCodes.mismatch, IdempotencyCodes.inFlight]
          : [IdempotencyCodes.inFlight],
      ...(route.mismatchStatus === 422 && { 422: [IdempotencyCodes.mismatch] }),
    }),
  );
}
