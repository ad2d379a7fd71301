import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { validateEnvironment } from '../../src/common/config/environment.js';
import { openDatabaseConnection } from '../../src/common/database/database-connection.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { TEST_SECRETS } from '../support/test-database.js';

// PGlite's own start (loading its WebAssembly PostgreSQL) takes seconds on a busy 2-core machine.
const PGLITE_TIMEOUT_MS = 60_000;

// The embedded (PGlite) database is what `npm start` uses with no configuration at all.
describe('embedded database', () => {
  let folder: string;
  let overrides: Record<string, string>;

  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'mig-embedded-'));
    overrides = {
      ...TEST_SECRETS,
      DATABASE_URL: '',
      EMBEDDED_DATA_DIR: path.join(folder, 'pglite'),
      LOG_LEVEL: 'silent',
      JOBS_ENABLED: 'false',
      NODE_ENV: 'test',
    };
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function start(): Promise<NestFastifyApplication> {
    const app = await createApp(overrides);
    await app.init();
    return app;
  }

  it('migrates a new folder, answers ready, and keeps its data across a restart', async () => {
    const first = await start();
    try {
      expect((await first.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      await first.get(PrismaService).client.systemSetting.create({
        data: { key: 'restart-probe', value: { written: 'before restart' } },
      });
    } finally {
      await first.close();
    }

    const second = await start();
    try {
      const kept = await second.get(PrismaService).client.systemSetting.findUnique({ where: { key: 'restart-probe' } });
      expect(kept?.value).toEqual({ written: 'before restart' });
      expect((await second.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      await second.close();
    }
  }, PGLITE_TIMEOUT_MS);

  it('refuses a second process on the same folder while the first holds it', async () => {
    const app = await start();
    try {
      // Simulate another process's claim: the lock file names a live pid other than ours (our parent).
      const { writeFile } = await import('node:fs/promises');
      await writeFile(`${overrides.EMBEDDED_DATA_DIR}.lock`, String(process.ppid));
      await expect(openDatabaseConnection(validateEnvironment(overrides))).rejects.toThrow(/in use by process/);
    } finally {
      await app.close();
    }
  }, PGLITE_TIMEOUT_MS);
});
