import http from 'node:http';
import net from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Readiness } from '../../src/common/health/readiness.js';
import { startGatewayProcess } from '../support/gateway-process.js';
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

  it('reports ready after a real database query, with the audit trail appendable', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, audit: { status: 'up' } },
    });
  });

  it('answers 503 shutting_down once the drain began', async () => {
    const draining = await startTestApp(database);
    try {
      draining.get(Readiness).beginDrain();
      const response = await draining.inject({ method: 'GET', url: '/health/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'shutting_down' });
    } finally {
      await draining.close();
    }
  });

  it('lets a request in flight at SIGTERM finish before the process exits', async () => {
    const gateway = await startGatewayProcess({ ...database.overrides, LOG_LEVEL: 'info' });
    const exited = new Promise<number | null>((resolve) =>
      gateway.child.once('exit', (code) => {
        resolve(code);
      }),
    );
    try {
      const { hostname, port } = new URL(gateway.url);
      const body = JSON.stringify({ mobileNumber: '+962791234567', serviceType: 'LOGIN' });
      const answered = new Promise<number>((resolve, reject) => {
        const request = http.request(
          {
            host: hostname,
            port,
            method: 'POST',
            path: '/v1/api/verify',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        // Half the body, then SIGTERM, then the rest once the drain has begun: the request is in flight throughout.
        const deadline = Date.now() + 20_000;
        const rest = (): void => {
          if (gateway.output().includes('SIGTERM: draining') || Date.now() > deadline)
            request.end(body.slice(10));
          else setTimeout(rest, 20);
        };
        request.write(body.slice(0, 10), () => {
          // A moment for the server to read the request head: from then on the request is in flight.
          setTimeout(() => {
            gateway.child.kill('SIGTERM');
            rest();
          }, 300);
        });
      });
      expect(await answered).toBe(401);
      // Not `stop()`: a second SIGTERM would end the drain at once.
      expect(await exited).toBe(0);
      expect(gateway.output()).toMatch(
        /SIGTERM: draining[\s\S]*request completed[\s\S]*stopped after \d+ ms/,
      );
    } finally {
      await gateway.stop('SIGKILL');
    }
  });

  // Jest's 5 s test timeout bounds "quickly": the pool's connect timeout is 0.5 s here.
  it('answers 503 quickly when the database is unreachable', async () => {
    // A port that accepts nothing: listen, note the port, close.
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => {
          resolve(address.port);
        });
      });
    });
    const unreachable = await startTestApp(database, {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nowhere_test`,
      MIGRATE_ON_START: 'false',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
    });
    try {
      const started = performance.now();
      const response = await unreachable.inject({ method: 'GET', url: '/health/ready' });
      // Generous (ten times the connect timeout) for two busy cores, but a check that waited
      // for a TCP timeout or hung on the pool would fail it.
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        status: 'error',
        error: { database: { status: 'down' } },
      });
      expect(response.body).not.toContain(String(port));
    } finally {
      await unreachable.close();
    }
  });
});
