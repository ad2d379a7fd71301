import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ClockModule } from './common/clock/clock.js';
import { AppConfigModule } from './common/config/config.module.js';
import { CryptoModule } from './common/crypto/crypto.module.js';
import { DatabaseModule } from './common/database/database.module.js';
import { HealthModule } from './common/health/health.module.js';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter.js';
import { ErrorResponder } from './common/http/error-responder.js';
import { RequestTransactionInterceptor } from './modules/audit/request-transaction.interceptor.js';
import { HttpContextModule } from './common/http/http-context.module.js';
import { RouteTable } from './common/http/route-table.js';
import { OWN_UNIT_OF_WORK } from './common/http/audit-facts.js';
import { needsRequestTransaction } from './common/http/route-facts.js';
import { IDEMPOTENT } from './common/http/idempotency.js';
import {
  attachRouteInterceptors,
  type RouteInterceptorRule,
} from './common/http/route-interceptors.js';
import { createValidationPipe } from './common/http/validation.js';
import { LoggingModule } from './common/logging/logging.module.js';
import { MetricsModule } from './common/metrics/metrics.module.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { ConsoleModule } from './modules/console/console.module.js';
import { CredentialsModule } from './modules/credentials/credentials.module.js';
import { IdempotencyInterceptor } from './modules/idempotency/idempotency.interceptor.js';
import { IdempotencyModule } from './modules/idempotency/idempotency.module.js';
import { IntelligenceModule } from './modules/intelligence/intelligence.module.js';
import { OperatorsModule } from './modules/operators/operators.module.js';
import { PushModule } from './modules/push/push.module.js';
import { SecretsModule } from './modules/secrets/secrets.module.js';
import { SimSwapModule } from './modules/sim-swap/sim-swap.module.js';
import { SwapPollingModule } from './modules/swap-polling/swap-polling.module.js';
import { SwapUpstreamModule } from './modules/swap-upstream/swap-upstream.module.js';
import { VerificationModule } from './modules/verification/verification.module.js';

/** The gateway's own modules, in import order; their controllers serve its routes. */
const FEATURE_MODULES = [
  HealthModule,
  AuditModule,
  CredentialsModule,
  IdempotencyModule,
  OperatorsModule,
  VerificationModule,
  SimSwapModule,
  IntelligenceModule,
  PushModule,
  SwapPollingModule,
  SwapUpstreamModule,
  ConsoleModule,
  SecretsModule,
];

/**
 * Where the unit-of-work interceptors run: only on the routes that need them, outermost first (a
 * repeated Idempotency-Key is answered before any request transaction opens, and a claim lost to
 * another instance is rolled back before its winner is read). `RouteFactsRegistry` checks at
 * start-up that every route whose facts say `transaction` got its interceptor.
 */
export const UNIT_OF_WORK_INTERCEPTORS: RouteInterceptorRule[] = [
  {
    interceptor: IdempotencyInterceptor,
    appliesTo: ({ handler }) => Reflect.getMetadata(IDEMPOTENT, handler) !== undefined,
  },
  {
    interceptor: RequestTransactionInterceptor,
    appliesTo: ({ controller, handler, routes }) => {
      const own =
        Reflect.getMetadata(OWN_UNIT_OF_WORK, handler) === true ||
        Reflect.getMetadata(OWN_UNIT_OF_WORK, controller) === true;
      return routes.some((route) => needsRequestTransaction(route.verb, route.path, own));
    },
  },
];

@Module({})
export class AppModule {
  /** `overrides` replace environment variables for this instance only (tests, CLI). */
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    attachRouteInterceptors(FEATURE_MODULES, UNIT_OF_WORK_INTERCEPTORS);
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(overrides),
        CryptoModule,
        LoggingModule,
        MetricsModule,
        HttpContextModule,
        ClockModule,
        DatabaseModule,
        // Jobs check JOBS_ENABLED themselves and take an advisory lock, so one instance does the work.
        ScheduleModule.forRoot(),
        ...FEATURE_MODULES,
      ],
      providers: [
        RouteTable,
        ErrorResponder,
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
