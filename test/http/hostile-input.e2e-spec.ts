import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { eventsByCorrelation } from '../audit/audit-kit.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
  jwtHeaders,
} from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

const EVIL_NAME = '<img src=x onerror=alert(1)>';

/** JSON nested `levels` deep, about 2.5 bytes a level: `{"a":{"a":…1…}}` or `[[…]]`. */
const deepObject = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const deepArray = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Input no contract defines: answered 400 in the route's envelope, audited once, never echoed, never logged as a crash. */
describeOnPostgres('hostile input', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: CreatedClient;
  let adminKey: string;
  let auditorKey: string;
  const logged: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' });
    client = await createTestClient(app);
    adminKey = (await createTestAdminKey(app)).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
    for (const level of ['error', 'warn'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation(function (
        this: Logger,
        message: unknown,
      ) {
        logged.push(`${level}: ${String(message)}`);
      });
    }
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await database?.drop();
  });

  beforeEach(() => {
    logged.length = 0;
  });

  const send = async (
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload?: string,
  ) => {
    const correlator = `hostile-${randomUUID()}`;
    const response = await app.inject({
      method,
      url,
      headers: {
        'x-correlator': correlator,
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload } : {}),
    });
    const events = await eventsByCorrelation(database, [correlator]);
    return {
      status: response.statusCode,
      body: response.body,
      json: () => response.json<Record<string, unknown>>(),
      events,
    };
  };

  const admin = () => ({ authorization: `Bearer ${adminKey}` });

  describe('JSON nested 2,000+ levels', () => {
    it.each([
      ['Authmatech verify', '/v1/api/verify', () => apiKeyHeaders(client), 'authmatech'],
      [
        'CAMARA check',
        '/sim-swap/v2/check',
        () => jwtHeaders(client, { jti: randomUUID() }),
        'camara',
      ],
      [
        'Identity Match',
        '/mobile-identity/v1/sim-swap',
        () => jwtHeaders(client, { jti: randomUUID() }),
        'identity_match',
      ],
      ['admin create client', '/admin/v1/clients', admin, 'admin'],
    ] as const)(
      '%s answers 400 in its envelope, audited, with no stack trace logged',
      async (_name, url, headers, contract) => {
        for (const body of [
          deepObject(2_500),
          deepArray(2_500),
          `{"phoneNumber":"+31612345004","x":${deepObject(2_000)}}`,
        ]) {
          expect(body.length).toBeLessThan(16_000);
          const response = await send('POST', url, headers(), body);
          expect(response.status).toBe(400);
          const json = response.json();
          if (contract === 'authmatech')
            expect(json).toMatchObject({
              success: false,
              messages: [{ type: 'FAILURE', httpStatus: 'BAD_REQUEST' }],
              data: null,
            });
          else if (contract === 'identity_match')
            expect(json).toEqual({
              state: 'error',
              code: expect.any(String),
              message: expect.any(String),
            });
          else
            expect(json).toEqual({
              status: 400,
              code: expect.any(String),
              message: expect.any(String),
            });
          expect(response.events).toHaveLength(1);
          expect(response.events[0]).toMatchObject({ http_status: 400, contract });
        }
        expect(logged).toEqual([]);
      },
    );
  });

  describe('NUL characters', () => {
    it.each([
      '/admin/v1/audit/events?action=a%00b',
      '/admin/v1/audit/events?correlationId=%00',
      '/admin/v1/audit/events?clientId=x%00',
      '/admin/v1/audit/export?format=csv&action=%00',
      '/admin/v1/reports/summary?groupBy=day&action=%00',
      '/admin/v1/audit/events/%00',
      '/admin/v1/clients/cli%00x',
    ])('GET %s answers 400, audited', async (url) => {
      const response = await send('GET', url, {
        authorization: `Bearer ${url.includes('/clients/') ? adminKey : auditorKey}`,
      });
      expect([400, 404]).toContain(response.status);
      if (!url.includes('/events/') && !url.includes('/clients/'))
        expect(response.status).toBe(400);
      expect(response.json()).toEqual({
        status: response.status,
        code: expect.any(String),
        message: expect.any(String),
      });
      expect(response.events).toHaveLength(1);
      expect(logged).toEqual([]);
    });

    it('refuses a NUL in a body field or key with 400 instead of a database error', async () => {
      for (const body of [
        { name: 'a\u0000b', environment: 'SANDBOX', products: ['VERIFY'] },
        { name: 'ok', environment: 'SANDBOX', products: ['VERIFY'], 'x\u0000': 1 },
      ]) {
        const response = await send('POST', '/admin/v1/clients', admin(), JSON.stringify(body));
        expect(response.status).toBe(400);
        expect(response.json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
        expect(response.events).toHaveLength(1);
      }
      expect(logged).toEqual([]);
    });
  });

  describe('attacker-chosen property names', () => {
    it.each([
      ['admin body', 'POST', '/admin/v1/clients', admin, JSON.stringify({ [EVIL_NAME]: 1 })],
      [
        'admin query',
        'GET',
        `/admin/v1/audit/events?${encodeURIComponent(EVIL_NAME)}=1`,
        () => ({ authorization: `Bearer ${auditorKey}` }),
        undefined,
      ],
      [
        'Authmatech body',
        'POST',
        '/v1/api/verify',
        () => apiKeyHeaders(client),
        JSON.stringify({ mobileNumber: '+962791234567', [EVIL_NAME]: 1 }),
      ],
      [
        'Identity Match body',
        'POST',
        '/mobile-identity/v1/sim-swap',
        () => jwtHeaders(client, { jti: randomUUID() }),
        JSON.stringify({ phoneNumber: '+31612345004', serviceType: '24h', [EVIL_NAME]: 1 }),
      ],
    ] as const)(
      '%s: an unknown field is refused with a fixed message that does not echo its name',
      async (_name, method, url, headers, payload) => {
        const response = await send(method, url, headers(), payload);
        expect(response.status).toBe(400);
        expect(response.body).not.toContain('img');
        expect(response.body).not.toContain('onerror');
        expect(response.body).toContain(
          'The request has a field that the contract does not define.',
        );
        expect(response.events).toHaveLength(1);
        expect(JSON.stringify(response.events[0])).not.toContain('onerror');
      },
    );
  });
});
