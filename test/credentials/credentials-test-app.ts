import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { configureApp, createFastifyAdapter } from '../../src/app.factory.js';
import { AppModule, UNIT_OF_WORK_INTERCEPTORS } from '../../src/app.module.js';
import { attachRouteInterceptors } from '../../src/common/http/route-interceptors.js';
import { Clock } from '../../src/common/clock/clock.js';
import { validateEnvironment } from '../../src/common/config/environment.js';
import type { EnvironmentOverrides, TestDatabase } from '../support/test-database.js';

/** A clock the test moves by hand. */
export class ManualClock extends Clock {
  constructor(private current: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.current);
  }

  set(at: Date): void {
    this.current = new Date(at);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * The real gateway (same module graph, pipes, filters and guard as main.ts) plus test-only
 * modules with probe routes, optionally on a pinned clock.
 */
export async function startCredentialsTestApp(
  database: TestDatabase,
  options: { overrides?: EnvironmentOverrides; clock?: Clock; imports?: Type[] } = {},
): Promise<NestFastifyApplication> {
  const overrides = { ...database.overrides, ...options.overrides };
  // Probe modules get the unit-of-work interceptors the gateway's own routes get.
  attachRouteInterceptors(options.imports ?? [], UNIT_OF_WORK_INTERCEPTORS);
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(overrides), ...(options.imports ?? [])] });
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const environment = validateEnvironment({ ...process.env, ...overrides });
  const app = configureApp(moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(environment), { bodyParser: false }));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
