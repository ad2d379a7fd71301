import { Module } from '@nestjs/common';
import { SealedIdempotencyResponses } from './idempotency-sealed-store.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { IdempotencyJobs } from './idempotency.jobs.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';

/**
 * `Idempotency-Key` on the mutating routes that opt in with `@Idempotent()`: replay of a repeat,
 * refusal of a reused key, purge of expired keys. The claim itself is part of the audit unit of
 * work (`UnitClaims.idempotency`), so it commits with the request's effects or not at all.
 */
@Module({
  // The interceptor is registered in AppModule, before the request transaction's (order matters).
  providers: [
    IdempotencyRepository,
    IdempotencyService,
    IdempotencyJobs,
    IdempotencyInterceptor,
    SealedIdempotencyResponses,
  ],
  exports: [IdempotencyService, IdempotencyInterceptor],
})
export class IdempotencyModule {}
