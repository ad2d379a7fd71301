import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { apiKeyHeaders, createTestClient } from '../support/credentials-factory.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { ManualClock, startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

/**
 * The machine's Redis (the development machines and CI run one on 127.0.0.1:6379). Each run makes
 * its own clients, whose random ids name the counters' keys, so no other run touches them; each
 * test deletes its keys at the end.
 */
const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

describeOnPostgres('rate limits counted in Redis (REDIS_URL)', () => {
  let database: TestDatabase;
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  let redis: Redis;
  const runId = randomUUID();
  // Pinned at 10 s into a minute, so no window boundary falls inside a test.
  const clock = new ManualClock(new Date(Date.UTC(2026, 10, 23, 12, 0, 10)));
  const windowStart = Date.UTC(2026, 10, 23, 12, 0, 0);

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.ping();
    database = await createTestDatabase();
    const overrides = { REDIS_URL };
    first = await startCredentialsTestApp(database, { imports: [ProbeModule], clock, overrides });
    second = await startCredentialsTestApp(database, { imports: [ProbeModule], clock, overrides });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
    await redis?.quit();
  });

  const newClient = async (rateLimitPerMinute: number) => {
    const client = await createTestClient(first, {
      rateLimitPerMinute,
      name: `redis-rate-limit ${runId}`,
    });
    return { client, key: `mig:rl:client:${client.clientId}:${windowStart}` };
  };
  const call = (
    app: NestFastifyApplication,
    client: Awaited<ReturnType<typeof newClient>>['client'],
  ) => app.inject({ method: 'GET', url: '/v1/api/probe', headers: apiKeyHeaders(client) });

  it('counts a client’s requests on both instances together in one Redis key, not in PostgreSQL', async () => {
    const { client, key } = await newClient(3);
    try {
      expect((await call(first, client)).statusCode).toBe(200);
      expect((await call(second, client)).statusCode).toBe(200);
      expect((await call(first, client)).statusCode).toBe(200);
      const refused = await call(second, client);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('50');
      // Three admitted plus the reservation refused: the shared counter saw every attempt once.
      expect(Number(await redis.get(key))).toBe(4);
      // Kept for two windows, so a late instance still reads this window's count.
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      const pg = await database.connect();
      try {
        const { rows } = await pg.query('SELECT 1 FROM rate_limit_window WHERE bucket = $1', [
          `client:${client.clientId}`,
        ]);
        expect(rows).toHaveLength(0);
      } finally {
        await pg.end();
      }
    } finally {
      await redis.del(key);
    }
  });

  it('admits the client again in the next window, in a new key', async () => {
    const { client, key } = await newClient(1);
    const nextKey = `mig:rl:client:${client.clientId}:${windowStart + 60_000}`;
    try {
      expect((await call(first, client)).statusCode).toBe(200);
      expect((await call(second, client)).statusCode).toBe(429);
      clock.advance(60_000);
      expect((await call(second, client)).statusCode).toBe(200);
      expect(Number(await redis.get(nextKey))).toBe(1);
    } finally {
      clock.advance(-60_000);
      await redis.del(key, nextKey);
    }
  });
});
