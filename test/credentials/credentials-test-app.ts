import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Clock } from '../../src/common/clock/clock.js';
import { startTestApp } from '../support/test-app.js';
import type { EnvironmentOverrides, TestDatabase } from '../support/test-database.js';

export { ManualClock } from '../support/manual-clock.js';

/** The credentials tests' name for the one test app factory (test/support/test-app.ts). */
export function startCredentialsTestApp(
  database: TestDatabase,
  options: { overrides?: EnvironmentOverrides; clock?: Clock; imports?: Type[] } = {},
): Promise<NestFastifyApplication> {
  return startTestApp(database, options.overrides, {
    clock: options.clock,
    imports: options.imports,
  });
}
