import type { InjectionToken, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { configureApp, createApp, createFastifyAdapter } from '../../src/app.factory.js';
import { AppModule, UNIT_OF_WORK_INTERCEPTORS } from '../../src/app.module.js';
import { Clock } from '../../src/common/clock/clock.js';
import { validateEnvironment } from '../../src/common/config/environment.js';
import { DatabaseConnection } from '../../src/common/database/database-connection.js';
import { attachRouteInterceptors } from '../../src/common/http/route-interceptors.js';
import type { EnvironmentOverrides, TestDatabase } from './test-database.js';

export interface TestAppOptions {
  /** Replaces the injected `Clock` (e.g. a ManualClock from ./manual-clock.ts). */
  clock?: Clock;
  /** Test-only modules with probe routes; they get the unit-of-work interceptors the gateway's routes get. */
  imports?: Type[];
  /** Other providers replaced by test doubles (e.g. pg-boss's queue clock). */
  providers?: { token: InjectionToken; value: unknown }[];
}

/**
 * The one test app factory: the gateway initialised but not listening (use `inject`). Without
 * options it is built exactly as `main.ts` builds it (`createApp`); a clock or probe modules need
 * Nest's testing module (to override a provider, to add modules), with the same module graph,
 * pipes, filters and guard.
 */
export async function startTestApp(
  database: TestDatabase,
  overrides: EnvironmentOverrides = {},
  options: TestAppOptions = {},
): Promise<NestFastifyApplication> {
  const environment = { ...database.overrides, ...overrides };
  const app =
    options.clock || options.imports || options.providers
      ? await createTestingApp(environment, options)
      : await createApp(environment);
  // Without DATABASE_URL the test's own queries go through this app's in-memory PGlite.
  database.attach?.(app.get(DatabaseConnection));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

async function createTestingApp(
  overrides: EnvironmentOverrides,
  options: TestAppOptions,
): Promise<NestFastifyApplication> {
  attachRouteInterceptors(options.imports ?? [], UNIT_OF_WORK_INTERCEPTORS);
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(overrides), ...(options.imports ?? [])],
  });
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  for (const { token, value } of options.providers ?? [])
    builder = builder.overrideProvider(token).useValue(value);
  const moduleRef = await builder.compile();
  const environment = validateEnvironment({ ...process.env, ...overrides });
  return configureApp(
    moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(environment), {
      bodyParser: false,
    }),
  );
}
