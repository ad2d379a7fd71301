import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { validateEnvironment } from '../../src/common/config/environment.js';
import { openDatabaseConnection } from '../../src/common/database/database-connection.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { SANDBOX_PAGE_ORIGINS } from '../../src/modules/credentials/sandbox-bootstrap.js';
import { SIMULATOR_SOURCE_ADDRESS } from '../../src/modules/operators/network-simulator.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import { TEST_SECRETS } from '../support/test-database.js';
import { CredentialViewsService } from '../../src/modules/credentials/credential-views.service.js';

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

  it(
    'migrates a new folder, answers ready, and keeps its data across a restart',
    async () => {
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
        const kept = await second
          .get(PrismaService)
          .client.systemSetting.findUnique({ where: { key: 'restart-probe' } });
        expect(kept?.value).toEqual({ written: 'before restart' });
        expect((await second.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      } finally {
        await second.close();
      }
    },
    PGLITE_TIMEOUT_MS,
  );

  it(
    'creates the quickstart sandbox client once on a developer machine, secrets in a 0600 file',
    async () => {
      overrides.NODE_ENV = 'development';
      const printed: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      // Whatever the gateway writes to stdout (the log stream) must not carry the secrets.
      process.stdout.write = (chunk: string | Uint8Array) => printed.push(String(chunk)) > 0;
      try {
        await (await start()).close();
        const file = path.join(folder, 'sandbox-credentials.json');
        const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
        expect(saved).toEqual(
          expect.objectContaining({
            clientId: expect.stringMatching(/^cli_/),
            apiKey: expect.stringMatching(/^mig_test_/),
          }),
        );
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        expect(printed.join('')).not.toContain(saved.apiKey);
        expect(printed.join('')).not.toContain(saved.jwtSecret);

        printed.length = 0;
        const restarted = await start();
        try {
          expect(printed.join('')).not.toContain('created the sandbox client');
          expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(saved);
          const token = await restarted.inject({
            method: 'POST',
            url: '/v1/api/sdk/token',
            headers: { 'x-client-id': saved.clientId, 'x-api-key': saved.apiKey },
          });
          expect(token.statusCode).toBe(200);
          // The sample bank app's page may run the Web SDK, and the sandbox operators trust the network simulator.
          expect(
            (await restarted.get(CredentialViewsService).getClient(saved.clientId)).allowedOrigins,
          ).toEqual(SANDBOX_PAGE_ORIGINS);
          expect((await restarted.get(OperatorsService).findAny('ZAIN_JO'))?.trustedRanges).toEqual(
            [`${SIMULATOR_SOURCE_ADDRESS}/32`],
          );
        } finally {
          await restarted.close();
        }
      } finally {
        process.stdout.write = write;
      }
    },
    PGLITE_TIMEOUT_MS,
  );

  it(
    'refuses a second process on the same folder while the first holds it',
    async () => {
      const app = await start();
      try {
        // Simulate another process's claim: the lock file names a live pid other than ours (our parent).
        const { writeFile } = await import('node:fs/promises');
        await writeFile(`${overrides.EMBEDDED_DATA_DIR}.lock`, String(process.ppid));
        await expect(openDatabaseConnection(validateEnvironment(overrides))).rejects.toThrow(
          /in use by process/,
        );
      } finally {
        await app.close();
      }
    },
    PGLITE_TIMEOUT_MS,
  );
});
