import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
  signIdentityMatchJwt,
} from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { auditEventOf } from '../sim-swap/sim-swap-test-kit.js';

const CAMARA_OPERATIONS = [
  '/sim-swap/v2/check',
  '/sim-swap/v2/retrieve-date',
  '/device-swap/v1/check',
  '/device-swap/v1/retrieve-date',
];

/** Null, unknown fields and the Bearer scheme: what each contract's schema says, nothing more. */
describe('Input handling', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: CreatedClient;
  let adminKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Identity Match allows 1 request per second per key; this suite is about bodies, not limits.
    app = await startTestApp(database, { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' });
    client = await createTestClient(app);
    adminKey = (await createTestAdminKey(app)).key;
    // Fixed dates, so two answers about the same number can be compared.
    const pinned = await app.inject({
      method: 'PUT',
      url: '/admin/v1/sandbox/sim-swap/+31612345004',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      payload: {
        latestSimChange: '2026-11-01T10:00:00Z',
        latestDeviceChange: '2026-11-02T10:00:00Z',
      },
    });
    expect(pinned.statusCode).toBe(200);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** POSTs raw JSON text; with a client JWT unless `headers` bring their own credentials. */
  const post = async (url: string, payload: string, headers?: Record<string, string>) => {
    const correlator = `input-${Math.random().toString(36).slice(2)}`;
    const response = await app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        'x-correlator': correlator,
        ...(headers ?? { authorization: `Bearer ${signIdentityMatchJwt(client)}` }),
      },
      payload,
    });
    return {
      status: response.statusCode,
      body: response.json<Record<string, unknown>>(),
      correlator,
    };
  };

  describe('CAMARA', () => {
    it.each(CAMARA_OPERATIONS)(
      '%s answers "phoneNumber": null with 400 INVALID_ARGUMENT, audited',
      async (url) => {
        const response = await post(url, JSON.stringify({ phoneNumber: null }));
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          status: 400,
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('phoneNumber'),
        });
        const events = await auditEventOf(app, response.correlator);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          http_status: 400,
          error_code: 'INVALID_ARGUMENT',
          outcome: 'failure',
        });
      },
    );

    it.each(CAMARA_OPERATIONS)(
      '%s answers a JSON null body with 400 INVALID_ARGUMENT',
      async (url) => {
        const response = await post(url, 'null');
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          status: 400,
          code: 'INVALID_ARGUMENT',
          message: 'The request body must be a JSON object.',
        });
      },
    );

    it.each(['/sim-swap/v2/check', '/device-swap/v1/check'])(
      '%s answers "maxAge": null with 400 INVALID_ARGUMENT, not the default',
      async (url) => {
        const response = await post(
          url,
          JSON.stringify({ phoneNumber: '+31612345004', maxAge: null }),
        );
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
      },
    );

    it.each(CAMARA_OPERATIONS)(
      '%s ignores fields the schema does not define and answers as without them',
      async (url) => {
        const plain = await post(url, JSON.stringify({ phoneNumber: '+31612345004' }));
        const extended = await post(
          url,
          JSON.stringify({ phoneNumber: '+31612345004', futureField: { nested: true }, note: 'x' }),
        );
        expect(plain.status).toBe(200);
        expect(extended.status).toBe(200);
        expect(extended.body).toEqual(plain.body);
      },
    );

    it('still refuses an unknown field with a wrong type on a known one', async () => {
      const response = await post(
        '/sim-swap/v2/check',
        JSON.stringify({ phoneNumber: '+31612345004', maxAge: '24', extra: 1 }),
      );
      expect(response).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT' } });
    });
  });

  describe('our strict contracts', () => {
    it('Identity Match refuses an unknown field and a null body (400 INVALID_REQUEST)', async () => {
      const unknown = await post(
        '/mobile-identity/v1/sim-swap',
        JSON.stringify({ phoneNumber: '+31612345004', serviceType: '24h', extra: 1 }),
      );
      expect(unknown).toMatchObject({
        status: 400,
        body: { state: 'error', code: 'INVALID_REQUEST' },
      });
      const nullBody = await post('/mobile-identity/v1/sim-swap', 'null');
      expect(nullBody).toMatchObject({
        status: 400,
        body: { state: 'error', code: 'INVALID_REQUEST' },
      });
    });

    it('Authmatech verify refuses an unknown field, a null body and a null optional field (400 VALIDATION_ERROR)', async () => {
      const headers = apiKeyHeaders(client);
      const body = {
        mobileNumber: '+962791234567',
        encryptedMobileNumber: 'a.b.c.d.e',
        operatorId: 'ZAIN_JO',
        serviceType: 'LOGIN',
      };
      for (const payload of [
        JSON.stringify({ ...body, extra: 1 }),
        'null',
        JSON.stringify({ ...body, sdkSessionId: null }),
      ]) {
        const response = await post('/v1/api/verify', payload, headers);
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({
          success: false,
          messages: [{ code: 'VALIDATION_ERROR', httpStatus: 'BAD_REQUEST' }],
          data: null,
        });
      }
    });

    it('the admin API refuses null for a field whose schema is not nullable', async () => {
      const response = await post(
        '/admin/v1/clients',
        JSON.stringify({ name: 'x', products: ['VERIFY'], environment: null }),
        {
          authorization: `Bearer ${adminKey}`,
        },
      );
      expect(response).toMatchObject({
        status: 400,
        body: { status: 400, code: 'INVALID_ARGUMENT' },
      });
    });
  });

  describe('the Bearer scheme (RFC 9110: case-insensitive)', () => {
    it.each(['bearer', 'BEARER', 'bEaReR'])(
      'accepts "%s" for client JWTs and admin keys',
      async (scheme) => {
        const jwt = await post(
          '/sim-swap/v2/check',
          JSON.stringify({ phoneNumber: '+31612345004' }),
          {
            authorization: `${scheme} ${signIdentityMatchJwt(client)}`,
          },
        );
        expect(jwt.status).toBe(200);
        const admin = await app.inject({
          method: 'GET',
          url: '/admin/v1/admin-keys',
          headers: { authorization: `${scheme} ${adminKey}` },
        });
        expect(admin.statusCode).toBe(200);
      },
    );

    it('still refuses another scheme and a missing token', async () => {
      for (const authorization of [
        `Basic ${adminKey}`,
        'Bearer',
        `Bearer${adminKey}`,
        `Bearer ${adminKey} extra`,
      ]) {
        const admin = await app.inject({
          method: 'GET',
          url: '/admin/v1/admin-keys',
          headers: { authorization },
        });
        expect(admin.statusCode).toBe(401);
      }
    });
  });
});
