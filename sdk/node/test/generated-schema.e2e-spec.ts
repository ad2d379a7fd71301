import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp } from '../../../test/support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';

/** The committed types are what the generator makes of the document the gateway serves today. */
describe('Node SDK types', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('match the served OpenAPI document (else run npm run sdk:generate)', async () => {
    const served = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    const folder = mkdtempSync(join(tmpdir(), 'mig-sdk-types-'));
    try {
      writeFileSync(join(folder, 'openapi.json'), served.body);
      execFileSync(process.execPath, [
        'scripts/generate-sdk-types.mjs',
        join(folder, 'openapi.json'),
        join(folder, 'schema.ts'),
      ]);
      const generated = readFileSync(join(folder, 'schema.ts'), 'utf8');
      const committed = readFileSync('sdk/node/src/generated/schema.ts', 'utf8');
      expect(generated === committed ? 'up to date' : 'stale: run npm run sdk:generate').toBe(
        'up to date',
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
