import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ClockModule } from './common/clock/clock.js';
import { AppConfigModule } from './common/config/config.module.js';
import { DatabaseModule } from './common/database/database.module.js';
import { HealthModule } from './common/health/health.module.js';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter.js';
import { ErrorResponder } from './common/http/error-responder.js';
import { RequestTransactionInterceptor } from './modules/audit/request-transaction.interceptor.js';
import { HttpContextModule } from './common/http/http-context.module.js';
import { RouteTable } from './common/http/route-table.js';
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
import { SimSwapModule } from './modules/sim-swap/sim-swap.module.js';
import { SwapPollingModule } from './modules/swap-polling/swap-polling.module.js';
import { VerificationModule } from './modules/verification/verification.module.js';

@Module({})
export class AppModule {
  /** `overrides` replace environment variables for this instance only (tests, CLI). */
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(overrides),
        LoggingModule,
        MetricsModule,
        HttpContextModule,
        ClockModule,
        DatabaseModule,
        // Jobs check JOBS_ENABLED themselves and take an advisory lock, so one instance does the work.
        ScheduleModule.forRoot(),
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
        ConsoleModule,
      ],
      providers: [
        RouteTable,
        ErrorResponder,
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // Outermost first: a repeated Idempotency-Key is answered before any request transaction
        // opens, and a claim lost to another instance is rolled back before its winner is read.
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_INTERCEPTOR, useClass: RequestTransactionInterceptor },
      ],
    };
  }
}
