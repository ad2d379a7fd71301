import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  auditEventOf,
  createSwapClient,
  PinnedClock,
  postAs,
  signJwt,
  startSimSwapApp,
  type SwapClient,
} from './sim-swap-test-kit.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const URL_PATH = '/mobile-identity/v1/sim-swap';

/**
 * This module keeps no per-client records of its own: what belongs to a client is its JWT key, its
 * rate-limit buckets and the audit events of its checks. Sandbox overrides are admin data, shared.
 */
describe('SIM swap: clients, rate limits and the sandbox admin API', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let alice: SwapClient;
  let bob: SwapClient;
  let adminKey: string;
  let auditorKey: string;
  const clock = new PinnedClock(NOW);

  beforeAll(async () => {
    database = await createTestDatabase();
    // Default per-JWT-key limit: 1 request per second, as CM.com documents for Identity Match.
    app = await startSimSwapApp(database, { clock });
    alice = await createSwapClient(app, ['SIM_SWAP', 'DEVICE_SWAP'], 'alice');
    bob = await createSwapClient(app, ['SIM_SWAP', 'DEVICE_SWAP'], 'bob');
    adminKey = (await app.get(CredentialIssuanceService).createAdminKey('admin')).key;
    auditorKey = (await app.get(CredentialIssuanceService).createAdminKey('auditor')).key;
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const ask = (client: SwapClient, options: { token?: string } = {}) =>
    postAs(
      app,
      client,
      URL_PATH,
      { phoneNumber: '+31612345002', serviceType: '24h' },
      { now: clock.now(), ...options },
    );

  const putOverride = (phoneNumber: string, body: unknown, key: string | null = adminKey) =>
    app.inject({
      method: 'PUT',
      url: `/admin/v1/sandbox/sim-swap/${phoneNumber}`,
      headers: {
        'content-type': 'application/json',
        'x-correlator': `sandbox-${randomUUID()}`,
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      payload: JSON.stringify(body),
    });

  describe('Identity Match rate limit per JWT key', () => {
    it("answers one client's second request within a second with 429, while another client's key is unaffected", async () => {
      clock.set(new Date(NOW.getTime() + 10_000));
      expect((await ask(alice)).status).toBe(200);
      const limited = await ask(alice);
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({
        state: 'error',
        code: 'TOO_MANY_REQUESTS',
        message: expect.any(String),
      });
      expect((await ask(bob)).status).toBe(200);
      clock.set(new Date(NOW.getTime() + 11_000));
      expect((await ask(alice)).status).toBe(200);
    });
  });

  describe('CAMARA rate limit per client', () => {
    it("answers a client over its per-minute limit with 429 TOO_MANY_REQUESTS, without touching another client's budget", async () => {
      const created = await app.get(ClientManagementService).createClient({
        name: 'tight',
        environment: 'SANDBOX',
        products: ['SIM_SWAP'],
        rateLimitPerMinute: 1,
      });
      const tight: SwapClient = {
        clientId: created.clientId,
        jwtKeyId: created.jwtKeyId,
        jwtSecret: created.jwtSecret,
      };
      const body = { phoneNumber: '+31612345004' };
      expect(
        (await postAs(app, tight, '/sim-swap/v2/check', body, { now: clock.now() })).status,
      ).toBe(200);
      const limited = await postAs(app, tight, '/sim-swap/v2/check', body, { now: clock.now() });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({
        status: 429,
        code: 'TOO_MANY_REQUESTS',
        message: expect.any(String),
      });
      expect(
        (await postAs(app, bob, '/sim-swap/v2/check', body, { now: clock.now() })).status,
      ).toBe(200);
    });
  });

  describe('JWT keys', () => {
    it("refuses a token naming one client's key but signed with another client's secret", async () => {
      clock.set(new Date(NOW.getTime() + 20_000));
      const crossed = signJwt(alice, clock.now(), bob.jwtSecret);
      const response = await ask(alice, { token: crossed });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        state: 'error',
        code: 'UNAUTHORIZED',
        message: expect.any(String),
      });
    });
  });

  describe('audit events', () => {
    it("records each client's check under that client only, with the verdict and a masked number", async () => {
      clock.set(new Date(NOW.getTime() + 30_000));
      const fromAlice = await ask(alice);
      const fromBob = await ask(bob);
      const [aliceEvent] = await auditEventOf(app, fromAlice.correlator);
      const [bobEvent] = await auditEventOf(app, fromBob.correlator);
      expect(aliceEvent).toMatchObject({
        client_id: alice.clientId,
        verdict: { '24h': true },
        phone_masked: '+*********02',
      });
      expect(bobEvent).toMatchObject({ client_id: bob.clientId, verdict: { '24h': true } });
      const leaks = await app
        .get(PrismaService)
        .client.$queryRawUnsafe<{ count: bigint }[]>(
          "SELECT count(*) AS count FROM audit_event WHERE phone_masked LIKE '%31612345002%' OR detail::text LIKE '%31612345002%' OR upstream::text LIKE '%31612345002%' OR verdict::text LIKE '%31612345002%'",
        );
      expect(Number(leaks[0].count)).toBe(0);
    });
  });

  describe('sandbox admin API (PUT /admin/v1/sandbox/sim-swap/{phoneNumber})', () => {
    it('is closed to clients, and to auditors', async () => {
      const clientToken = signJwt(alice, clock.now());
      expect(
        (await putOverride('+31612345007', { latestSimChange: NOW.toISOString() }, clientToken))
          .statusCode,
      ).toBe(401);
      expect(
        (await putOverride('+31612345007', { latestSimChange: NOW.toISOString() }, null))
          .statusCode,
      ).toBe(401);
      expect(
        (await putOverride('+31612345007', { latestSimChange: NOW.toISOString() }, auditorKey))
          .statusCode,
      ).toBe(403);
    });

    it("changes what every client is answered for that sandbox number, until it is reset to the table's row", async () => {
      clock.set(new Date(NOW.getTime() + 40_000));
      const swappedAt = new Date(clock.now().getTime() - 30 * 60_000).toISOString();
      const response = await putOverride('+31612345007', { latestSimChange: swappedAt });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        phoneNumber: '+31612345007',
        latestSimChange: swappedAt,
        latestDeviceChange: null,
      });
      const [event] = await auditEventOf(app, response.headers['x-correlator'] as string);
      expect(event).toMatchObject({
        action: 'sandbox.sim_swap.set',
        outcome: 'success',
        phone_masked: '+*********07',
      });
      for (const client of [alice, bob]) {
        const answer = await postAs(
          app,
          client,
          '/sim-swap/v2/retrieve-date',
          { phoneNumber: '+31612345007' },
          { now: clock.now() },
        );
        expect(answer.body).toEqual({ latestSimChange: swappedAt });
      }
      const reset = await app.inject({
        method: 'DELETE',
        url: '/admin/v1/sandbox/sim-swap/+31612345007',
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(reset.statusCode).toBe(204);
      const after = await postAs(
        app,
        alice,
        '/sim-swap/v2/check',
        { phoneNumber: '+31612345007', maxAge: 1 },
        { now: clock.now() },
      );
      expect(after.body).toEqual({ swapped: false });
    });

    it('refuses numbers of operators that are not sandboxes, and numbers no operator serves', async () => {
      const response = await putOverride('+12025550100', { latestSimChange: null });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        status: 404,
        code: 'NOT_FOUND',
        message: expect.any(String),
      });
    });

    it.each([
      ['a date without a zone', { latestSimChange: '2026-11-23T10:00:00' }],
      ['a date only', { latestSimChange: '2026-11-23' }],
      ['an impossible date', { latestSimChange: '2026-13-45T10:00:00Z' }],
      ['no latestSimChange', { latestDeviceChange: null }],
    ])('answers 400 INVALID_ARGUMENT to %s', async (_, body) => {
      const response = await putOverride('+31612345007', body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
    });

    it('answers 400 to a path that is not an E.164 number', async () => {
      expect((await putOverride('0612345007', { latestSimChange: null })).statusCode).toBe(400);
    });
  });
});
