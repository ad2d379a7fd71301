import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { apiKeyHeaders, createTestClient } from '../support/credentials-factory.js';
import { listenOnLoopback, rawExchange } from '../support/raw-http.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { withOwner } from './audit-kit.js';

/** The limit counts per clock minute: a burst that straddles one would start counting afresh. */
async function awayFromMinuteBoundary(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
}

// The tarpit is off here (its own test below), so the floods run at full speed.
const FLOOD = {
  AUTH_FAILURE_LIMIT_PER_MINUTE: '20',
  AUDIT_ROLLUP_AFTER: '5',
  AUDIT_ROLLUP_WINDOW_MS: '1000',
  AUTH_FAILURE_TARPIT_MS: '0',
};

/** Floods of refused requests are throttled per source address and cost a bounded number of audit rows. */
describeOnPostgres('floods of refused requests', () => {
  let database: TestDatabase;
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  let client: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    first = await startTestApp(database, FLOOD);
    second = await startTestApp(database, FLOOD);
    client = await createTestClient(first, {
      products: ['VERIFY', 'SIM_SWAP'],
      rateLimitPerMinute: 100_000,
    });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  const badKey = (app: NestFastifyApplication, remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/api/verify',
      remoteAddress,
      headers: {
        'x-client-id': client.clientId,
        'x-api-key': 'mig_test_0000000000000000000000000000000000000000',
      },
      payload: {
        mobileNumber: '+962791234567',
        encryptedMobileNumber: 'x',
        operatorId: 'ZAIN_JO',
        serviceType: 'LOGIN',
      },
    });

  interface Row {
    action: string;
    http_status: number;
    detail: { count?: number } | null;
  }

  function rowsFrom(address: string): Promise<Row[]> {
    return withOwner(
      database,
      async (owner) =>
        (
          await owner.query<Row>(
            'SELECT action, http_status, detail FROM audit_event WHERE source_ip = $1 ORDER BY id',
            [address],
          )
        ).rows,
    );
  }

  it('answers 429 in the contract’s envelope past the limit, counted across instances, without touching other addresses', async () => {
    await awayFromMinuteBoundary();
    const statuses: number[] = [];
    for (let index = 0; index < 60; index++)
      statuses.push((await badKey(index % 2 === 0 ? first : second, '10.0.0.7')).statusCode);
    expect(statuses.slice(0, 20)).toEqual(Array<number>(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array<number>(40).fill(429));

    const refused = await badKey(first, '10.0.0.7');
    expect(refused.json()).toMatchObject({
      success: false,
      data: null,
      messages: [{ code: 'TOO_MANY_REQUESTS' }],
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const camara = await first.inject({
      method: 'POST',
      url: '/sim-swap/v2/check',
      remoteAddress: '10.0.0.7',
      headers: { authorization: 'Bearer x.y.z' },
      payload: { phoneNumber: '+31612345004' },
    });
    expect(camara.statusCode).toBe(429);
    expect(camara.json()).toEqual({
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      message: expect.any(String),
    });

    // Another address is neither throttled nor counted, and a valid client there passes; on the
    // flooded address even valid credentials wait for the window's end (AUTH_FAILURE_BLOCKS_SOURCE).
    expect((await badKey(first, '10.0.0.8')).statusCode).toBe(401);
    const elsewhere = await first.inject({
      method: 'GET',
      url: '/v1/api/me/products',
      remoteAddress: '10.0.0.8',
      headers: apiKeyHeaders(client),
    });
    expect(elsewhere.statusCode).toBe(200);
    const blocked = await first.inject({
      method: 'GET',
      url: '/v1/api/me/products',
      remoteAddress: '10.0.0.7',
      headers: apiKeyHeaders(client),
    });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({
      success: false,
      messages: [{ code: 'TOO_MANY_REQUESTS' }],
    });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lets a valid client on a flooded address through when AUTH_FAILURE_BLOCKS_SOURCE is false', async () => {
    const lenient = await startTestApp(database, { ...FLOOD, AUTH_FAILURE_BLOCKS_SOURCE: 'false' });
    try {
      await awayFromMinuteBoundary();
      const statuses: number[] = [];
      for (let index = 0; index < 25; index++)
        statuses.push((await badKey(lenient, '10.0.0.11')).statusCode);
      expect(statuses.slice(20)).toEqual(Array<number>(5).fill(429));
      const legit = await lenient.inject({
        method: 'GET',
        url: '/v1/api/me/products',
        remoteAddress: '10.0.0.11',
        headers: apiKeyHeaders(client),
      });
      expect(legit.statusCode).toBe(200);
    } finally {
      await lenient.close();
    }
  });

  it('holds each refusal at the door for AUTH_FAILURE_TARPIT_MS, so a flooding connection sends one request per delay', async () => {
    const tarpit = await startTestApp(database, { ...FLOOD, AUTH_FAILURE_TARPIT_MS: '600' });
    try {
      await awayFromMinuteBoundary();
      const statuses: number[] = [];
      for (let index = 0; index < 21; index++)
        statuses.push((await badKey(tarpit, '10.0.0.12')).statusCode);
      expect(statuses.slice(19)).toEqual([401, 429]);
      // Past the limit the source is refused at the door: the answer waits, concurrent ones together.
      const started = performance.now();
      const held = await Promise.all(Array.from({ length: 5 }, () => badKey(tarpit, '10.0.0.12')));
      expect(performance.now() - started).toBeGreaterThanOrEqual(590);
      for (const reply of held) {
        expect(reply.statusCode).toBe(429);
        expect(reply.json()).toMatchObject({
          success: false,
          data: null,
          messages: [{ code: 'TOO_MANY_REQUESTS' }],
        });
        expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
      }
      // Other addresses are not held.
      expect((await badKey(tarpit, '10.0.0.13')).statusCode).toBe(401);
    } finally {
      await tarpit.close();
    }
  });

  it('rolls up a flood of requests the HTTP parser refuses (431) like any refused flood', async () => {
    const parser = await startTestApp(database, FLOOD);
    try {
      const server = await listenOnLoopback(parser);
      const sent = 30;
      const startedAt = Date.now();
      const answers = await Promise.all(
        Array.from({ length: sent }, () =>
          rawExchange(
            server,
            `POST /v1/api/verify HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`,
          ),
        ),
      );
      for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      const windows = Math.floor(Date.now() / 1000) - Math.floor(startedAt / 1000) + 1;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const rows = await withOwner(
        database,
        async (owner) =>
          (
            await owner.query<Row>(
              "SELECT action, http_status, detail FROM audit_event WHERE source_ip = '127.0.0.1' AND http_status = 431 ORDER BY id",
            )
          ).rows,
      );
      const rollups = rows.filter((row) => row.action === 'request.refused.rollup');
      const individual = rows.filter((row) => row.action === 'http.client_error');
      expect(
        individual.length + rollups.reduce((sum, row) => sum + (row.detail?.count ?? 0), 0),
      ).toBe(sent);
      expect(rows.length).toBeLessThanOrEqual(windows * (5 + 1));
      expect(rollups.length).toBeGreaterThan(0);
      for (const row of rollups)
        expect(row.detail).toMatchObject({ method: 'POST', route: '(unmatched)' });
    } finally {
      await parser.close();
    }
  });

  it('records the first answers of each window one by one and the rest as roll-ups that account for every request', async () => {
    const address = '10.0.0.9';
    const sent = 80;
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: sent }, (_, index) => badKey(index % 2 === 0 ? first : second, address)),
    );
    // The 1-s windows the burst touched (more on a slow machine).
    const windows = Math.floor(Date.now() / 1000) - Math.floor(startedAt / 1000) + 1;
    // The roll-ups are appended when their window (1 s here) has ended.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const rows = await rowsFrom(address);
    const rollups = rows.filter((row) => row.action === 'request.refused.rollup');
    const individual = rows.filter((row) => row.action !== 'request.refused.rollup');
    expect(
      individual.length + rollups.reduce((sum, row) => sum + (row.detail?.count ?? 0), 0),
    ).toBe(sent);
    // Per instance, window and answer (401, then 429): at most 5 events one by one and one roll-up.
    expect(rows.length).toBeLessThanOrEqual(2 * 2 * windows * (5 + 1));
    expect(rollups.length).toBeGreaterThan(0);
    for (const row of rollups)
      expect(row.detail).toMatchObject({
        count: expect.any(Number),
        firstSeen: expect.any(String),
        lastSeen: expect.any(String),
        route: '/v1/api/verify',
      });
  });
});
