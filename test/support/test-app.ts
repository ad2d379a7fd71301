import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { DatabaseConnection } from '../../src/common/database/database-connection.js';
import type { EnvironmentOverrides, TestDatabase } from './test-database.js';

/** The gateway exactly as `main.ts` builds it, initialised but not listening (use `inject`). */
export async function startTestApp(
  database: TestDatabase,
  overrides: EnvironmentOverrides = {},
): Promise<NestFastifyApplication> {
  const app = await createApp({ ...database.overrides, ...overrides });
  database.attach?.(app.get(DatabaseConnection));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
