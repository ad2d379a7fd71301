import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { eventsByCorrelation, newCorrelator, withOwner } from '../audit/audit-kit.js';
import { apiKeyHeaders, createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { VerificationKit } from '../verification/verification-kit.js';

const BANK = 'https://bank.example';
const OTHER_BANK = 'https://other-bank.example';
const NOBODY = 'https://evil.example';

describe('browser origins (CORS) of the device-side endpoints', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: VerificationKit;
  let adminKey: string;
  let auditorKey: string;
  let bank: CreatedClient;
  let otherBank: CreatedClient;

  const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, key = adminKey) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    });

  const preflight = (
    url: string,
    origin: string,
    method = 'GET',
    correlator = newCorrelator('preflight'),
  ) =>
    app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'x-sdk-token,x-client-id',
        'x-correlator': correlator,
      },
    });

  async function enrichFrom(
    client: CreatedClient,
    headers: Record<string, string>,
    correlator = newCorrelator('enrich'),
  ) {
    const token = await kit.sdkToken(client);
    return app.inject({
      method: 'GET',
      url: '/v1/he/ZAIN_JO',
      headers: {
        'x-client-id': client.clientId,
        'x-sdk-token': token,
        'x-sandbox-msisdn': '+962791234567',
        'x-correlator': correlator,
        ...headers,
      },
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    kit = new VerificationKit(app);
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
    bank = await kit.client('SANDBOX');
    otherBank = await kit.client('SANDBOX');
    expect(
      (
        await admin('PATCH', `/admin/v1/clients/${bank.clientId}`, {
          allowedOrigins: [BANK, 'http://localhost:4000'],
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await admin('PATCH', `/admin/v1/clients/${otherBank.clientId}`, {
          allowedOrigins: [OTHER_BANK],
        })
      ).statusCode,
    ).toBe(200);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('admin client API', () => {
    it('stores, shows and clears the allowed origins of a client, and audits who changed them', async () => {
      const created = await admin('POST', '/admin/v1/clients', {
        name: 'Web bank',
        environment: 'LIVE',
        products: ['VERIFY'],
        allowedOrigins: ['https://web.bank.example'],
      });
      expect(created.statusCode).toBe(201);
      const clientId: string = created.json().client.clientId;
      expect(created.json().client.allowedOrigins).toEqual(['https://web.bank.example']);

      const correlator = newCorrelator('origins');
      const changed = await app.inject({
        method: 'PATCH',
        url: `/admin/v1/clients/${clientId}`,
        headers: { authorization: `Bearer ${adminKey}`, 'x-correlator': correlator },
        payload: { allowedOrigins: ['https://web.bank.example', 'https://m.bank.example:8443'] },
      });
      expect(changed.statusCode).toBe(200);
      expect((await admin('GET', `/admin/v1/clients/${clientId}`)).json().allowedOrigins).toEqual([
        'https://web.bank.example',
        'https://m.bank.example:8443',
      ]);
      const events = await eventsByCorrelation(database, [correlator]);
      expect(events.map((event) => [event.action, event.detail])).toEqual(
        expect.arrayContaining([
          [
            'client.update',
            {
              changed: ['allowedOrigins'],
              allowedOrigins: ['https://web.bank.example', 'https://m.bank.example:8443'],
            },
          ],
        ]),
      );

      expect(
        (await admin('PATCH', `/admin/v1/clients/${clientId}`, { allowedOrigins: [] })).json()
          .allowedOrigins,
      ).toEqual([]);
    });

    it.each([
      ['a trailing slash', 'https://pay.example/'],
      ['a path', 'https://pay.example/login'],
      ['a query', 'https://pay.example?x=1'],
      ['upper case', 'https://Pay.example'],
      ['the default port', 'https://pay.example:443'],
      ['a wildcard', 'https://*.pay.example'],
      ['a bare wildcard', '*'],
      ['the opaque origin', 'null'],
      ['user info', 'https://user@pay.example'],
      ['another scheme', 'ftp://pay.example'],
      ['no scheme', 'pay.example'],
      ['a space', 'https://pay .example'],
    ])('refuses an origin with %s, without echoing it', async (_case, origin) => {
      const reply = await admin('PATCH', `/admin/v1/clients/${bank.clientId}`, {
        allowedOrigins: [origin],
      });
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
      if (origin.length > 1) expect(reply.body).not.toContain(origin);
    });

    it('refuses duplicates, more than 20 origins, plain http for LIVE clients, and auditors', async () => {
      expect(
        (
          await admin('PATCH', `/admin/v1/clients/${bank.clientId}`, {
            allowedOrigins: [BANK, BANK],
          })
        ).statusCode,
      ).toBe(400);
      const many = Array.from({ length: 21 }, (_, index) => `https://p${index}.bank.example`);
      expect(
        (await admin('PATCH', `/admin/v1/clients/${bank.clientId}`, { allowedOrigins: many }))
          .statusCode,
      ).toBe(400);
      const live = await admin('POST', '/admin/v1/clients', {
        name: 'Live',
        environment: 'LIVE',
        products: [],
        allowedOrigins: ['http://bank.example'],
      });
      expect(live.statusCode).toBe(400);
      expect(live.json().message).toContain('https');
      const asAuditor = await admin(
        'PATCH',
        `/admin/v1/clients/${bank.clientId}`,
        { allowedOrigins: [NOBODY] },
        auditorKey,
      );
      expect(asAuditor.statusCode).toBe(403);
      expect(
        (await admin('GET', `/admin/v1/clients/${bank.clientId}`)).json().allowedOrigins,
      ).toEqual([BANK, 'http://localhost:4000']);
    });
  });

  describe('preflight (no credentials: judged by whether any client allows the origin)', () => {
    it('answers an origin some client allows with exactly the requested method and the SDK headers, and audits it', async () => {
      const correlator = newCorrelator('preflight');
      const reply = await preflight('/v1/he/ZAIN_JO', BANK, 'GET', correlator);
      expect(reply.statusCode).toBe(204);
      expect(reply.headers).toMatchObject({
        'access-control-allow-origin': BANK,
        'access-control-allow-methods': 'GET',
        'access-control-allow-headers': 'x-sdk-token, x-client-id, content-type, x-correlator',
        'access-control-max-age': '600',
      });
      expect(reply.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(reply.headers.vary)).toContain('Origin');
      const [event] = await eventsByCorrelation(database, [correlator]);
      expect(event).toMatchObject({
        action: 'cors.preflight',
        http_status: 204,
        outcome: 'success',
        actor_type: 'anonymous',
        detail: { origin: BANK, method: 'GET' },
      });

      const session = await preflight('/v1/api/sdk/session', OTHER_BANK, 'POST');
      expect(session.statusCode).toBe(204);
      expect(session.headers['access-control-allow-origin']).toBe(OTHER_BANK);
    });

    it('refuses an origin no client allows, without CORS headers, in the envelope, audited', async () => {
      const correlator = newCorrelator('preflight');
      const reply = await preflight('/v1/he/ZAIN_JO', NOBODY, 'GET', correlator);
      expect(reply.statusCode).toBe(403);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'ORIGIN_NOT_ALLOWED' }],
      });
      const [event] = await eventsByCorrelation(database, [correlator]);
      expect(event).toMatchObject({
        action: 'cors.preflight',
        http_status: 403,
        error_code: 'ORIGIN_NOT_ALLOWED',
        detail: { origin: NOBODY },
      });
    });

    it('gives no CORS answer for server-side routes (API key routes can never be called from a page)', async () => {
      for (const [url, method] of [
        ['/v1/api/verify', 'POST'],
        ['/v1/api/sdk/token', 'POST'],
        ['/v1/api/me/usage', 'GET'],
        ['/admin/v1/clients', 'GET'],
      ]) {
        const reply = await preflight(url, BANK, method);
        expect(reply.headers['access-control-allow-origin']).toBeUndefined();
        expect(reply.statusCode).toBeGreaterThanOrEqual(400);
      }
      const token = await app.inject({
        method: 'POST',
        url: '/v1/api/sdk/token',
        headers: { ...apiKeyHeaders(bank), origin: BANK },
      });
      expect(token.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('does not treat a preflight of another method on a browser-facing path as allowed', async () => {
      const reply = await preflight('/v1/he/ZAIN_JO', BANK, 'DELETE');
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('finds the route of a preflight sent in absolute form', async () => {
      const reply = await app.inject({
        method: 'OPTIONS',
        url: 'http://gateway.example/v1/he/ZAIN_JO',
        headers: { origin: BANK, 'access-control-request-method': 'GET' },
      });
      expect([reply.statusCode, reply.headers['access-control-allow-origin']]).toEqual([204, BANK]);
    });
  });

  describe('the request itself (held to its own client’s list after authentication)', () => {
    it('serves a page of an origin its client allows, readable by the page', async () => {
      const reply = await enrichFrom(bank, { origin: BANK });
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['access-control-allow-origin']).toBe(BANK);
      expect(String(reply.headers['access-control-expose-headers'])).toContain('x-correlator');
      expect(reply.json().data.authmatechCode).toEqual(expect.any(String));
    });

    it('refuses a page of an origin only another client allows: 403, no CORS headers, nothing done, audited with the client', async () => {
      const sessionsOf = () =>
        withOwner(
          database,
          async (client) =>
            (
              await client.query<{ n: number }>(
                'SELECT count(*)::int AS n FROM enrichment_session WHERE client_id = $1',
                [bank.clientId],
              )
            ).rows[0].n,
        );
      const before = await sessionsOf();
      const correlator = newCorrelator('cross');
      const reply = await enrichFrom(bank, { origin: OTHER_BANK }, correlator);
      expect(reply.statusCode).toBe(403);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'ORIGIN_NOT_ALLOWED' }],
        data: null,
      });
      const [event] = await eventsByCorrelation(database, [correlator]);
      expect(event).toMatchObject({
        action: 'enrichment',
        client_id: bank.clientId,
        http_status: 403,
        error_code: 'ORIGIN_NOT_ALLOWED',
        detail: { origin: OTHER_BANK },
      });
      expect(event.phone_hash).toBeNull();
      expect(await sessionsOf()).toBe(before);
    });

    it('lets an allowed page read a refused token (401), and hides the 401 from other origins', async () => {
      const readable = await app.inject({
        method: 'GET',
        url: '/v1/he/ZAIN_JO',
        headers: {
          origin: BANK,
          'x-client-id': bank.clientId,
          'x-sdk-token': 'mig_sdk_forged.AAAA',
        },
      });
      expect(readable.statusCode).toBe(401);
      expect(readable.headers['access-control-allow-origin']).toBe(BANK);
      const hidden = await app.inject({
        method: 'GET',
        url: '/v1/he/ZAIN_JO',
        headers: {
          origin: OTHER_BANK,
          'x-client-id': bank.clientId,
          'x-sdk-token': 'mig_sdk_forged.AAAA',
        },
      });
      expect(hidden.statusCode).toBe(401);
      expect(hidden.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('applies the same rule to the SDK session report', async () => {
      const token = await kit.sdkToken(bank);
      const body = {
        sdkSessionId: 'web-session-1',
        authmatechCodePresent: false,
        deviceContext: { platform: 'web' },
      };
      const headers = { 'x-client-id': bank.clientId, 'x-sdk-token': token };
      const allowed = await app.inject({
        method: 'POST',
        url: '/v1/api/sdk/session',
        headers: { ...headers, origin: 'http://localhost:4000' },
        payload: body,
      });
      expect([allowed.statusCode, allowed.headers['access-control-allow-origin']]).toEqual([
        200,
        'http://localhost:4000',
      ]);
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/api/sdk/session',
        headers: { ...headers, origin: NOBODY },
        payload: body,
      });
      expect([refused.statusCode, refused.headers['access-control-allow-origin']]).toEqual([
        403,
        undefined,
      ]);
    });

    it('holds the check page’s same-origin requests to the embedding page’s origin', async () => {
      const sameOrigin = { 'sec-fetch-site': 'same-origin' };
      expect(
        (await enrichFrom(bank, { ...sameOrigin, 'x-embedding-origin': BANK })).statusCode,
      ).toBe(200);
      expect(
        (await enrichFrom(bank, { ...sameOrigin, 'x-embedding-origin': NOBODY })).statusCode,
      ).toBe(403);
      // A cross-origin page cannot claim another embedder: its own Origin counts.
      expect(
        (
          await enrichFrom(bank, {
            origin: NOBODY,
            'sec-fetch-site': 'cross-site',
            'x-embedding-origin': BANK,
          })
        ).statusCode,
      ).toBe(403);
    });

    it('serves requests without Origin (native apps, servers) as before', async () => {
      const reply = await enrichFrom(bank, {});
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('takes a change of the allowed origins into account at once on the instance that made it', async () => {
      expect((await enrichFrom(otherBank, { origin: NOBODY })).statusCode).toBe(403);
      await admin('PATCH', `/admin/v1/clients/${otherBank.clientId}`, {
        allowedOrigins: [OTHER_BANK, NOBODY],
      });
      expect((await enrichFrom(otherBank, { origin: NOBODY })).statusCode).toBe(200);
      await admin('PATCH', `/admin/v1/clients/${otherBank.clientId}`, {
        allowedOrigins: [OTHER_BANK],
      });
      expect((await enrichFrom(otherBank, { origin: NOBODY })).statusCode).toBe(403);
    });

    it('stops serving the pages of a suspended client', async () => {
      const suspended = await kit.client('SANDBOX');
      await admin('PATCH', `/admin/v1/clients/${suspended.clientId}`, {
        allowedOrigins: ['https://suspended.example'],
      });
      const token = await kit.sdkToken(suspended);
      await admin('PATCH', `/admin/v1/clients/${suspended.clientId}`, { status: 'suspended' });
      expect((await preflight('/v1/he/ZAIN_JO', 'https://suspended.example')).statusCode).toBe(403);
      const reply = await app.inject({
        method: 'GET',
        url: '/v1/he/ZAIN_JO',
        headers: {
          origin: 'https://suspended.example',
          'x-client-id': suspended.clientId,
          'x-sdk-token': token,
        },
      });
      expect(reply.statusCode).toBe(401);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
