import type { NestFastifyApplication } from '@nestjs/platform-fastify';
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
const secondsAgo = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
const URL_PATH = '/mobile-identity/v1/sim-swap';
// A sandbox number with no row of its own: the admin API gives it each date under test.
const EDGE_NUMBER = '+31687654321';

const identityMatchError = (code: string) => ({
  state: 'error',
  code,
  message: expect.any(String),
});

const EDGES: [string, number, { gt: number; lt: number }, { gt: number; lt: number }][] = [
  ['1 hour', 3_600, { gt: 0, lt: 3_600 }, { gt: 3_600, lt: 86_400 }],
  ['24 hours', 86_400, { gt: 3_600, lt: 86_400 }, { gt: 86_400, lt: 604_800 }],
  ['7 days', 604_800, { gt: 86_400, lt: 604_800 }, { gt: 604_800, lt: 1_209_600 }],
  ['14 days', 1_209_600, { gt: 604_800, lt: 1_209_600 }, { gt: 1_209_600, lt: 2_592_000 }],
  ['30 days', 2_592_000, { gt: 1_209_600, lt: 2_592_000 }, { gt: 2_592_000, lt: 7_776_000 }],
  ['90 days', 7_776_000, { gt: 2_592_000, lt: 7_776_000 }, { gt: 7_776_000, lt: -1 }],
];

describe('Identity Match SIM swap (POST /mobile-identity/v1/sim-swap)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let adminKey: string;
  const clock = new PinnedClock(NOW);

  beforeAll(async () => {
    database = await createTestDatabase();
    // The per-key limit (1/s by default) is tested in sim-swap-isolation; here many calls share a pinned second.
    app = await startSimSwapApp(database, {
      clock,
      environment: { SIM_SWAP_DEADLINE_MS: '1500', JWT_KEY_RATE_LIMIT_PER_SECOND: '0' },
    });
    client = await createSwapClient(app, ['SIM_SWAP']);
    adminKey = (await app.get(CredentialIssuanceService).createAdminKey('admin')).key;
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const ask = (phoneNumber: string, serviceType: string) =>
    postAs(app, client, URL_PATH, { phoneNumber, serviceType }, { now: clock.now() });

  const setSwap = async (phoneNumber: string, latestSimChange: Date | null): Promise<void> => {
    const response = await app.inject({
      method: 'PUT',
      url: `/admin/v1/sandbox/sim-swap/${phoneNumber}`,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      payload: { latestSimChange: latestSimChange?.toISOString() ?? null },
    });
    expect(response.statusCode).toBe(200);
  };

  describe('serviceType timestamp', () => {
    it('answers the ISO 8601 UTC time of the last SIM change and audits it', async () => {
      const response = await ask('+31612345002', 'timestamp');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        state: 'success',
        timestamp: secondsAgo(7_200).toISOString(),
      });
      const [event] = await auditEventOf(app, response.correlator);
      expect(event).toMatchObject({
        client_id: client.clientId,
        action: 'identity_match.sim_swap',
        contract: 'identity_match',
        service_type: 'timestamp',
        operator_id: 'SANDBOX_NL',
        verdict: { timestamp: secondsAgo(7_200).toISOString() },
      });
    });

    it('answers the activation date for a number never swapped', async () => {
      expect((await ask('+31612345007', 'timestamp')).body).toEqual({
        state: 'success',
        timestamp: secondsAgo(400 * 86_400).toISOString(),
      });
    });

    it('answers null when the operator may not keep history that old', async () => {
      expect((await ask('+491511234002', 'timestamp')).body).toEqual({
        state: 'success',
        timestamp: null,
      });
    });
  });

  describe('serviceType 24h', () => {
    it.each([
      ['+31612345001', true],
      ['+31612345003', true],
      ['+31612345004', false],
      ['+31612345007', false],
      ['+491511234003', false],
    ])('answers %s with %s and audits it', async (phoneNumber, expected) => {
      const response = await ask(phoneNumber, '24h');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ '24h': expected });
      expect((await auditEventOf(app, response.correlator))[0]).toMatchObject({
        service_type: '24h',
        verdict: { '24h': expected },
      });
    });

    it('answers true at exactly 24 hours and false one second later', async () => {
      await setSwap(EDGE_NUMBER, secondsAgo(86_400));
      expect((await ask(EDGE_NUMBER, '24h')).body).toEqual({ '24h': true });
      await setSwap(EDGE_NUMBER, secondsAgo(86_401));
      expect((await ask(EDGE_NUMBER, '24h')).body).toEqual({ '24h': false });
    });
  });

  describe('serviceType range', () => {
    it.each(EDGES)(
      'at exactly %s answers the lower bucket, one second later the next',
      async (_, edge, atEdge, beyond) => {
        await setSwap(EDGE_NUMBER, secondsAgo(edge));
        const response = await ask(EDGE_NUMBER, 'range');
        expect(response.body).toEqual({ range: atEdge });
        expect((await auditEventOf(app, response.correlator))[0]).toMatchObject({
          service_type: 'range',
          verdict: { range: atEdge },
        });
        await setSwap(EDGE_NUMBER, secondsAgo(edge + 1));
        expect((await ask(EDGE_NUMBER, 'range')).body).toEqual({ range: beyond });
      },
    );

    it('answers the first bucket for a swap this very second', async () => {
      await setSwap(EDGE_NUMBER, NOW);
      expect((await ask(EDGE_NUMBER, 'range')).body).toEqual({ range: { gt: 0, lt: 3_600 } });
    });

    it.each([
      ['+31612345001', { gt: 0, lt: 3_600 }],
      ['+31612345002', { gt: 3_600, lt: 86_400 }],
      ['+31612345004', { gt: 86_400, lt: 604_800 }],
      ['+31612345005', { gt: 604_800, lt: 1_209_600 }],
      ['+31612345006', { gt: 2_592_000, lt: 7_776_000 }],
      ['+31612345007', { gt: 7_776_000, lt: -1 }],
      ['+491511234002', { gt: 2_592_000, lt: -1 }],
    ])('answers the sandbox number %s with %j', async (phoneNumber, range) => {
      expect((await ask(phoneNumber, 'range')).body).toEqual({ range });
    });
  });

  describe('errors, the same for every service type', () => {
    it.each(['timestamp', '24h', 'range'])(
      'answers %s with 400 INVALID_REQUEST for a malformed number, without echoing it',
      async (serviceType) => {
        const response = await ask('0031612345001', serviceType);
        expect(response.status).toBe(400);
        expect(response.body).toEqual(identityMatchError('INVALID_REQUEST'));
        expect(JSON.stringify(response.body)).not.toContain('31612345001');
      },
    );

    it('answers 400 INVALID_REQUEST for an unknown service type or a missing number', async () => {
      expect((await ask('+31612345001', 'week')).body).toEqual(
        identityMatchError('INVALID_REQUEST'),
      );
      const missing = await postAs(
        app,
        client,
        URL_PATH,
        { serviceType: 'range' },
        { now: clock.now() },
      );
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual(identityMatchError('INVALID_REQUEST'));
    });

    it.each(['timestamp', '24h', 'range'])(
      'answers %s with 404 NUMBER_NOT_FOUND for unknown and never-associated numbers',
      async (serviceType) => {
        for (const phoneNumber of ['+31699999999', '+12025550100', '+31612345008']) {
          const response = await ask(phoneNumber, serviceType);
          expect(response.status).toBe(404);
          expect(response.body).toEqual(identityMatchError('NUMBER_NOT_FOUND'));
        }
      },
    );

    it.each(['timestamp', '24h', 'range'])(
      'answers %s with 503 SERVICE_UNAVAILABLE when the operator fails or is too slow',
      async (serviceType) => {
        for (const phoneNumber of ['+491521234001', '+491571234001']) {
          const response = await ask(phoneNumber, serviceType);
          expect(response.status).toBe(503);
          expect(response.body).toEqual(identityMatchError('SERVICE_UNAVAILABLE'));
          expect((await auditEventOf(app, response.correlator))[0]).toMatchObject({
            outcome: 'failure',
            http_status: 503,
            verdict: null,
          });
        }
      },
    );

    it('answers 401 UNAUTHORIZED without a token, with an expired token and with a bad signature', async () => {
      const body = { phoneNumber: '+31612345001', serviceType: 'timestamp' };
      const expired = signJwt(client, new Date(NOW.getTime() - 10 * 60_000));
      const forged = signJwt(client, NOW, 'a-secret-that-is-not-the-one-of-this-key-000');
      for (const token of [undefined, expired, forged]) {
        const response = token
          ? await postAs(app, client, URL_PATH, body, { token })
          : await postAs(app, undefined, URL_PATH, body);
        expect(response.status).toBe(401);
        expect(response.body).toEqual(identityMatchError('UNAUTHORIZED'));
      }
    });

    it('answers 403 PRODUCT_NOT_ENABLED to a client without the SIM_SWAP product', async () => {
      const deviceOnly = await createSwapClient(app, ['DEVICE_SWAP']);
      const response = await postAs(
        app,
        deviceOnly,
        URL_PATH,
        { phoneNumber: '+31612345001', serviceType: 'timestamp' },
        { now: NOW },
      );
      expect(response.status).toBe(403);
      expect(response.body).toEqual(identityMatchError('PRODUCT_NOT_ENABLED'));
    });
  });

  describe('the JWT of the Identity Match documentation', () => {
    it('is accepted when built with jsonwebtoken exactly as documented (kid header, iat = nbf, exp = iat + 60)', async () => {
      const token = signJwt(client, NOW);
      const [header, payload] = token
        .split('.')
        .slice(0, 2)
        .map(
          (part) =>
            JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>,
        );
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId });
      const iat = Math.floor(NOW.getTime() / 1000);
      expect(payload).toEqual({ iat, nbf: iat, exp: iat + 60 });
      const response = await postAs(
        app,
        client,
        URL_PATH,
        { phoneNumber: '+31612345003', serviceType: '24h' },
        { token },
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ '24h': true });
    });
  });
});
