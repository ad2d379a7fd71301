import type { NestFastifyApplication } from '@nestjs/platform-fastify';
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
const hoursAgo = (hours: number): string =>
  new Date(NOW.getTime() - hours * 3_600_000).toISOString();
const ACTIVATED = hoursAgo(400 * 24);

const camaraError = (status: number, code: string) => ({
  status,
  code,
  message: expect.any(String),
});

const apis = [
  {
    name: 'CAMARA SIM Swap v2',
    base: '/sim-swap/v2',
    field: 'latestSimChange',
    product: 'SIM_SWAP',
    action: 'sim_swap',
  },
  {
    name: 'CAMARA Device Swap v1',
    base: '/device-swap/v1',
    field: 'latestDeviceChange',
    product: 'DEVICE_SWAP',
    action: 'device_swap',
  },
] as const;

describe('CAMARA SIM Swap and Device Swap', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  const clock = new PinnedClock(NOW);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, { clock, environment: { SIM_SWAP_DEADLINE_MS: '1500' } });
    client = await createSwapClient(app);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const post = (url: string, body: unknown, options: { token?: string } = {}) =>
    postAs(app, client, url, body, { now: clock.now(), ...options });

  describe.each(apis)('$name', ({ base, field, product, action }) => {
    describe('check', () => {
      it('answers swapped true with the default maxAge of 240 hours, echoes x-correlator, and audits the verdict', async () => {
        const response = await post(`${base}/check`, { phoneNumber: '+31612345004' });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ swapped: true });
        expect(response.headers['x-correlator']).toBe(response.correlator);
        const [event] = await auditEventOf(app, response.correlator);
        expect(event).toMatchObject({
          client_id: client.clientId,
          action: `${action}.check`,
          contract: 'camara',
          operator_id: 'SANDBOX_NL',
          outcome: 'success',
          http_status: 200,
          verdict: { swapped: true, maxAge: 240 },
        });
        expect(event.phone_masked).not.toContain('12345004');
      });

      it('answers swapped true with an explicit maxAge that covers the swap', async () => {
        expect(
          (await post(`${base}/check`, { phoneNumber: '+31612345002', maxAge: 3 })).body,
        ).toEqual({ swapped: true });
      });

      it('answers swapped false when the swap is older than maxAge', async () => {
        expect(
          (await post(`${base}/check`, { phoneNumber: '+31612345002', maxAge: 1 })).body,
        ).toEqual({ swapped: false });
        const response = await post(`${base}/check`, { phoneNumber: '+31612345005' });
        expect(response.body).toEqual({ swapped: false });
        expect((await auditEventOf(app, response.correlator))[0].verdict).toEqual({
          swapped: false,
          maxAge: 240,
        });
      });

      it('answers swapped false for a number never swapped, even with the largest maxAge', async () => {
        expect(
          (await post(`${base}/check`, { phoneNumber: '+31612345007', maxAge: 2400 })).body,
        ).toEqual({ swapped: false });
      });

      it('answers 400 OUT_OF_RANGE, stating the limit, for maxAge above 2400', async () => {
        const response = await post(`${base}/check`, { phoneNumber: '+31612345004', maxAge: 2401 });
        expect(response.status).toBe(400);
        expect(response.body).toEqual(camaraError(400, 'OUT_OF_RANGE'));
        expect(response.body.message).toContain('2400');
      });

      it("answers 400 OUT_OF_RANGE, stating the limit, for maxAge above the operator's monitored period", async () => {
        const response = await post(`${base}/check`, { phoneNumber: '+491511234001', maxAge: 721 });
        expect(response.status).toBe(400);
        expect(response.body).toEqual(camaraError(400, 'OUT_OF_RANGE'));
        expect(response.body.message).toContain('720 hours');
        const [event] = await auditEventOf(app, response.correlator);
        expect(event).toMatchObject({
          outcome: 'failure',
          error_code: 'OUT_OF_RANGE',
          operator_id: 'SANDBOX_DE',
        });
      });

      it('accepts maxAge equal to the monitored period', async () => {
        expect(
          (await post(`${base}/check`, { phoneNumber: '+491511234001', maxAge: 720 })).body,
        ).toEqual({ swapped: true });
      });

      it.each([
        ['a number without +', { phoneNumber: '31612345004' }],
        ['a number too short', { phoneNumber: '+3161' }],
        ['maxAge 0', { phoneNumber: '+31612345004', maxAge: 0 }],
        ['maxAge as a string', { phoneNumber: '+31612345004', maxAge: '24' }],
        ['a null phoneNumber', { phoneNumber: null }],
        ['a null maxAge', { phoneNumber: '+31612345004', maxAge: null }],
      ])('answers 400 INVALID_ARGUMENT for %s without echoing it', async (_, body) => {
        const response = await post(`${base}/check`, body);
        expect(response.status).toBe(400);
        expect(response.body).toEqual(camaraError(400, 'INVALID_ARGUMENT'));
        expect(JSON.stringify(response.body)).not.toContain('31612345004');
      });

      it('answers 422 MISSING_IDENTIFIER without a phone number', async () => {
        const response = await post(`${base}/check`, { maxAge: 24 });
        expect(response.status).toBe(422);
        expect(response.body).toEqual(camaraError(422, 'MISSING_IDENTIFIER'));
      });

      it('answers 404 IDENTIFIER_NOT_FOUND for a number no operator serves and for an unknown sandbox number', async () => {
        for (const phoneNumber of ['+12025550100', '+31699999999']) {
          const response = await post(`${base}/check`, { phoneNumber });
          expect(response.status).toBe(404);
          expect(response.body).toEqual(camaraError(404, 'IDENTIFIER_NOT_FOUND'));
        }
      });

      it('answers 503 UNAVAILABLE when the operator fails, and audits the failed upstream call', async () => {
        const response = await post(`${base}/check`, { phoneNumber: '+491521234001' });
        expect(response.status).toBe(503);
        expect(response.body).toEqual(camaraError(503, 'UNAVAILABLE'));
        const [event] = await auditEventOf(app, response.correlator);
        expect(event).toMatchObject({
          outcome: 'failure',
          error_code: 'UNAVAILABLE',
          operator_id: 'SANDBOX_DE_FAILING',
          verdict: null,
        });
      });

      it('answers 504 TIMEOUT when the operator is slower than the deadline', async () => {
        const response = await post(`${base}/check`, { phoneNumber: '+491571234001' });
        expect(response.status).toBe(504);
        expect(response.body).toEqual(camaraError(504, 'TIMEOUT'));
      });
    });

    describe('retrieve-date', () => {
      it('answers the date of the latest change as RFC 3339 and audits it', async () => {
        const response = await post(`${base}/retrieve-date`, { phoneNumber: '+31612345001' });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ [field]: hoursAgo(0.5) });
        expect((await auditEventOf(app, response.correlator))[0]).toMatchObject({
          action: `${action}.retrieve_date`,
          verdict: { [field]: hoursAgo(0.5) },
        });
      });

      it('answers the activation date for a number never swapped on an operator with unlimited history', async () => {
        expect((await post(`${base}/retrieve-date`, { phoneNumber: '+31612345007' })).body).toEqual(
          { [field]: ACTIVATED },
        );
      });

      it('answers null with monitoredPeriod when the change is older than the legal monitoring limit', async () => {
        for (const phoneNumber of ['+491511234002', '+491511234003']) {
          const response = await post(`${base}/retrieve-date`, { phoneNumber });
          expect(response.status).toBe(200);
          expect(response.body).toEqual({ [field]: null, monitoredPeriod: 30 });
        }
      });

      it('answers the date when the change is within the monitoring limit', async () => {
        expect(
          (await post(`${base}/retrieve-date`, { phoneNumber: '+491511234001' })).body,
        ).toEqual({ [field]: hoursAgo(5 * 24) });
      });

      it('answers the Jordanian sandbox numbers', async () => {
        expect(
          (await post(`${base}/retrieve-date`, { phoneNumber: '+962791234001' })).body,
        ).toEqual({ [field]: hoursAgo(2) });
      });

      it('answers 422 MISSING_IDENTIFIER, 404, 400 and 503 as check does', async () => {
        expect((await post(`${base}/retrieve-date`, {})).body).toEqual(
          camaraError(422, 'MISSING_IDENTIFIER'),
        );
        expect((await post(`${base}/retrieve-date`, { phoneNumber: '+31699999999' })).body).toEqual(
          camaraError(404, 'IDENTIFIER_NOT_FOUND'),
        );
        expect((await post(`${base}/retrieve-date`, { phoneNumber: 'not-a-number' })).body).toEqual(
          camaraError(400, 'INVALID_ARGUMENT'),
        );
        expect(
          (await post(`${base}/retrieve-date`, { phoneNumber: '+491521234001' })).body,
        ).toEqual(camaraError(503, 'UNAVAILABLE'));
        expect(
          (await post(`${base}/retrieve-date`, { phoneNumber: '+491571234001' })).body,
        ).toEqual(camaraError(504, 'TIMEOUT'));
      });
    });

    describe('authentication', () => {
      it.each(['check', 'retrieve-date'])(
        'answers 401 UNAUTHENTICATED to %s without an Authorization header',
        async (operation) => {
          const response = await postAs(app, undefined, `${base}/${operation}`, {
            phoneNumber: '+31612345004',
          });
          expect(response.status).toBe(401);
          expect(response.body).toEqual(camaraError(401, 'UNAUTHENTICATED'));
        },
      );

      it('answers 401 UNAUTHENTICATED to an expired token', async () => {
        const expired = signJwt(client, new Date(clock.now().getTime() - 10 * 60_000));
        const response = await post(
          `${base}/check`,
          { phoneNumber: '+31612345004' },
          { token: expired },
        );
        expect(response.status).toBe(401);
        expect(response.body).toEqual(camaraError(401, 'UNAUTHENTICATED'));
      });

      it('answers 401 UNAUTHENTICATED to a token with a bad signature', async () => {
        const forged = signJwt(client, clock.now(), 'not-the-secret-of-this-key-at-all-0123456789');
        const response = await post(
          `${base}/check`,
          { phoneNumber: '+31612345004' },
          { token: forged },
        );
        expect(response.status).toBe(401);
        expect(response.body).toEqual(camaraError(401, 'UNAUTHENTICATED'));
      });

      it(`answers 403 PERMISSION_DENIED to a client without the ${product} product`, async () => {
        const other = await createSwapClient(
          app,
          product === 'SIM_SWAP' ? ['DEVICE_SWAP'] : ['SIM_SWAP'],
        );
        const response = await postAs(
          app,
          other,
          `${base}/check`,
          { phoneNumber: '+31612345004' },
          { now: clock.now() },
        );
        expect(response.status).toBe(403);
        expect(response.body).toEqual(camaraError(403, 'PERMISSION_DENIED'));
      });
    });
  });

  it('documents the SIM swap and device swap routes in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/sim-swap/v2/check',
        '/sim-swap/v2/retrieve-date',
        '/device-swap/v1/check',
        '/device-swap/v1/retrieve-date',
        '/mobile-identity/v1/sim-swap',
      ]),
    );
  });

  describe('SIM Swap only', () => {
    it('answers latestSimChange null, without monitoredPeriod, for a number never associated with a SIM', async () => {
      const response = await post('/sim-swap/v2/retrieve-date', { phoneNumber: '+31612345008' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ latestSimChange: null });
      expect((await post('/sim-swap/v2/check', { phoneNumber: '+31612345008' })).body).toEqual({
        swapped: false,
      });
    });

    it('answers a number never connected to a device like any other', async () => {
      expect(
        (await post('/sim-swap/v2/retrieve-date', { phoneNumber: '+31612345009' })).body,
      ).toEqual({ latestSimChange: ACTIVATED });
    });
  });

  describe('Device Swap only', () => {
    it.each(['check', 'retrieve-date'])(
      'answers %s with 422 SERVICE_NOT_APPLICABLE for a number never connected to a device',
      async (operation) => {
        for (const phoneNumber of ['+31612345009', '+31612345008']) {
          const response = await post(`/device-swap/v1/${operation}`, { phoneNumber });
          expect(response.status).toBe(422);
          expect(response.body).toEqual(camaraError(422, 'SERVICE_NOT_APPLICABLE'));
          const [event] = await auditEventOf(app, response.correlator);
          expect(event).toMatchObject({ error_code: 'SERVICE_NOT_APPLICABLE', outcome: 'failure' });
        }
      },
    );
  });
});
