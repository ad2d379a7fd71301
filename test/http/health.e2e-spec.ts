import net from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('health', () => {
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

  it('reports live without touching dependencies', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('reports ready after a real database query', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  // Jest's 5 s test timeout bounds "quickly": the pool's connect timeout is 0.5 s here.
  it('answers 503 quickly when the database is unreachable', async () => {
    // A port that accepts nothing: listen, note the port, close.
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    const unreachable = await startTestApp(database, {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nowhere_test`,
      MIGRATE_ON_START: 'false',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
    });
    try {
      const response = await unreachable.inject({ method: 'GET', url: '/health/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
      expect(response.body).not.toContain(String(port));
    } finally {
      await unreachable.close();
    }
  });
});
