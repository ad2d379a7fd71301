import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { apiKeyHeaders, createTestClient, jwtHeaders } from '../support/credentials-factory.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { ManualClock, startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

describeOnPostgres('rate limits shared across instances', () => {
  let database: TestDatabase;
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  // Pinned at 10 s into a minute, so no window boundary falls inside a test.
  const clock = new ManualClock(new Date(Date.UTC(2026, 10, 23, 12, 0, 10)));

  beforeAll(async () => {
    database = await createTestDatabase();
    first = await startCredentialsTestApp(database, { imports: [ProbeModule], clock });
    second = await startCredentialsTestApp(database, { imports: [ProbeModule], clock });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  it('counts a client’s requests on both instances together and answers 429 with Retry-After', async () => {
    const client = await createTestClient(first, { rateLimitPerMinute: 3 });
    const call = (app: NestFastifyApplication) =>
      app.inject({ method: 'GET', url: '/v1/api/probe', headers: apiKeyHeaders(client) });
    expect((await call(first)).statusCode).toBe(200);
    expect((await call(second)).statusCode).toBe(200);
    expect((await call(first)).statusCode).toBe(200);
    const refused = await call(second);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('50');
    expect(refused.json().messages[0]).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 'TOO_MANY_REQUESTS',
    });
    expect((await call(first)).statusCode).toBe(429);
    // Another client is not affected.
    const other = await createTestClient(first, { rateLimitPerMinute: 3 });
    expect(
      (await first.inject({ method: 'GET', url: '/v1/api/probe', headers: apiKeyHeaders(other) }))
        .statusCode,
    ).toBe(200);
    // The next window admits the client again.
    clock.advance(60_000);
    expect((await call(second)).statusCode).toBe(200);
  });

  it('states the limit, what is left and when the window resets on every answer, and beside Retry-After', async () => {
    const client = await createTestClient(first, { rateLimitPerMinute: 3 });
    const call = (app: NestFastifyApplication) =>
      app.inject({ method: 'GET', url: '/v1/api/probe', headers: apiKeyHeaders(client) });
    const limits = (response: Awaited<ReturnType<typeof call>>) => ({
      limit: response.headers['ratelimit-limit'],
      remaining: response.headers['ratelimit-remaining'],
      reset: response.headers['ratelimit-reset'],
    });
    expect(limits(await call(first))).toEqual({ limit: '3', remaining: '2', reset: '50' });
    expect(limits(await call(second))).toEqual({ limit: '3', remaining: '1', reset: '50' });
    expect(limits(await call(first))).toEqual({ limit: '3', remaining: '0', reset: '50' });
    const refused = await call(second);
    expect(refused.statusCode).toBe(429);
    expect({ ...limits(refused), retryAfter: refused.headers['retry-after'] }).toEqual({
      limit: '3',
      remaining: '0',
      reset: '50',
      retryAfter: '50',
    });
    // An unauthenticated request is not counted, so it says nothing about anyone's limit.
    const anonymous = await first.inject({ method: 'GET', url: '/v1/api/probe' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['ratelimit-limit']).toBeUndefined();
    clock.advance(60_000);
  });

  it('states the binding limit on Identity Match: the per-key second when it refuses', async () => {
    const client = await createTestClient(first);
    const iat = Math.floor(clock.now().getTime() / 1000);
    const call = (app: NestFastifyApplication) =>
      app.inject({
        method: 'GET',
        url: '/mobile-identity/probe',
        headers: jwtHeaders(client, { iat }),
      });
    const allowed = await call(first);
    expect(allowed.headers['ratelimit-limit']).toBe('1');
    expect(allowed.headers['ratelimit-remaining']).toBe('0');
    const refused = await call(second);
    expect([
      refused.statusCode,
      refused.headers['ratelimit-limit'],
      refused.headers['ratelimit-reset'],
      refused.headers['retry-after'],
    ]).toEqual([429, '1', '1', '1']);
    clock.advance(1_000);
  });

  it('limits a JWT key to one request per second on the Identity Match contract, across instances', async () => {
    const client = await createTestClient(first);
    const iat = Math.floor(clock.now().getTime() / 1000);
    const call = (app: NestFastifyApplication) =>
      app.inject({
        method: 'GET',
        url: '/mobile-identity/probe',
        headers: jwtHeaders(client, { iat }),
      });
    expect((await call(first)).statusCode).toBe(200);
    const refused = await call(second);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toEqual({
      state: 'error',
      code: 'TOO_MANY_REQUESTS',
      message: expect.any(String),
    });
    // CAMARA paths carry only the client limit.
    const camara = await second.inject({
      method: 'POST',
      url: '/sim-swap/v2/probe',
      headers: jwtHeaders(client, { iat }),
    });
    expect(camara.statusCode).toBe(200);
    clock.advance(1_000);
    expect((await call(second)).statusCode).toBe(200);
  });

  it('never counts unauthenticated requests against a client (keyed by the authenticated client, not the address)', async () => {
    const client = await createTestClient(first, { rateLimitPerMinute: 2 });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const forged = await first.inject({
        method: 'GET',
        url: '/v1/api/probe',
        headers: {
          'x-client-id': client.clientId,
          'x-api-key': 'mig_test_wrong',
          'x-forwarded-for': '10.0.0.1',
        },
      });
      expect(forged.statusCode).toBe(401);
    }
    expect(
      (await first.inject({ method: 'GET', url: '/v1/api/probe', headers: apiKeyHeaders(client) }))
        .statusCode,
    ).toBe(200);
  });
});
