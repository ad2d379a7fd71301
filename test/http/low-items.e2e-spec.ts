import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { eventsByCorrelation, withOwner } from '../audit/audit-kit.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
} from '../support/credentials-factory.js';
import { listenOnLoopback, rawExchange, rawRequest } from '../support/raw-http.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

describeOnPostgres('low-severity findings of the security probe', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let server: { host: string; port: number };
  let client: CreatedClient;
  let adminKey: string;
  let auditorKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    server = await listenOnLoopback(app);
    client = await createTestClient(app);
    adminKey = (await createTestAdminKey(app)).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('oversized headers', () => {
    it.each([
      ['/v1/api/verify', 'authmatech'],
      ['http://x/sim-swap/v2/check', 'camara'],
      ['/mobile-identity/v1/sim-swap', 'identity_match'],
      ['/admin/v1/clients', 'admin'],
    ])('POST %s answers 431 in the %s envelope and is audited', async (target, contract) => {
      const before = await withOwner(
        database,
        async (owner) =>
          (
            await owner.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM audit_event WHERE action = 'http.client_error'",
            )
          ).rows[0].n,
      );
      const answer = await rawExchange(
        server,
        `POST ${target} HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`,
      );
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head.toLowerCase()).toContain('cache-control: no-store');
      const json = JSON.parse(body) as Record<string, unknown>;
      if (contract === 'authmatech')
        expect(json).toMatchObject({
          success: false,
          messages: [
            {
              type: 'FAILURE',
              code: 'HEADERS_TOO_LARGE',
              httpStatus: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
            },
          ],
          data: null,
        });
      else if (contract === 'identity_match')
        expect(json).toEqual({
          state: 'error',
          code: 'HEADERS_TOO_LARGE',
          message: expect.any(String),
        });
      else
        expect(json).toEqual({
          status: 431,
          code: 'HEADERS_TOO_LARGE',
          message: expect.any(String),
        });
      const correlator = /x-correlator: (\S+)/i.exec(head)?.[1];
      expect(correlator).toBeDefined();
      const events = await eventsByCorrelation(database, [correlator!]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        http_status: 431,
        contract,
        actor_type: 'anonymous',
        outcome: 'failure',
        action: 'http.client_error',
        source_ip: '127.0.0.1',
      });
      const after = await withOwner(
        database,
        async (owner) =>
          (
            await owner.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM audit_event WHERE action = 'http.client_error'",
            )
          ).rows[0].n,
      );
      expect(after).toBe(before + 1);
    });

    it('answers a malformed request line with 400 in an envelope, and keeps serving', async () => {
      const answer = await rawExchange(server, 'BR0KEN /v1/api/verify HTTP/1.1\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect((await rawRequest(server, { method: 'GET', target: '/health/live' })).status).toBe(
        200,
      );
    });
  });

  it("refuses the auditor a client's balance (403), which the admin may read", async () => {
    const path = `/admin/v1/clients/${client.clientId}/balance`;
    const asAuditor = await rawRequest(server, {
      method: 'GET',
      target: path,
      headers: { authorization: `Bearer ${auditorKey}` },
    });
    expect(asAuditor.status).toBe(403);
    expect(asAuditor.json()).toEqual({
      status: 403,
      code: 'PERMISSION_DENIED',
      message: expect.any(String),
    });
    expect(
      (
        await rawRequest(server, {
          method: 'GET',
          target: `http://x${path}`,
          headers: { authorization: `Bearer ${auditorKey}` },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await rawRequest(server, {
          method: 'GET',
          target: path,
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).status,
    ).toBe(200);
  });

  it('sends Cache-Control: no-store on every API answer, those that carry secrets first', async () => {
    const admin = { authorization: `Bearer ${adminKey}` };
    const created = await rawRequest(server, {
      method: 'POST',
      target: '/admin/v1/clients',
      headers: admin,
      body: JSON.stringify({
        name: `no-store-${randomUUID()}`,
        environment: 'SANDBOX',
        products: ['VERIFY'],
      }),
    });
    expect(created.status).toBe(201);
    const newClient = (created.json() as { client: { clientId: string } }).client;
    const credentials = await rawRequest(server, {
      method: 'GET',
      target: `/admin/v1/clients/${newClient.clientId}/credentials`,
      headers: admin,
    });
    const issued = await rawRequest(server, {
      method: 'POST',
      target: `/admin/v1/clients/${newClient.clientId}/credentials`,
      headers: admin,
      body: JSON.stringify({ kind: 'api_key' }),
    });
    const sdkToken = await rawRequest(server, {
      method: 'POST',
      target: '/v1/api/sdk/token',
      headers: apiKeyHeaders(client),
      body: '{}',
    });
    const answers = {
      created,
      credentials,
      issued,
      sdkToken,
      error: await rawRequest(server, { method: 'POST', target: '/v1/api/verify', body: '{}' }),
      notFound: await rawRequest(server, { method: 'GET', target: '/v1/api/nothing-here' }),
      camara: await rawRequest(server, {
        method: 'POST',
        target: '/sim-swap/v2/check',
        body: '{}',
      }),
    };
    for (const [name, answer] of Object.entries(answers))
      expect({ name, cacheControl: answer.headers['cache-control'] }).toEqual({
        name,
        cacheControl: 'no-store',
      });
    expect(issued.status).toBeLessThan(300);
    expect(sdkToken.status).toBeLessThan(300);
  });

  it('stores a non-ASCII User-Agent as the UTF-8 text the client sent', async () => {
    const agent = 'Bänk-App/2.1 (iPhone; iOS 18.1; 日本語; émoji 📱)';
    const correlator = `utf8-${randomUUID()}`;
    // Node's client writes header values byte for byte (Latin-1): these bytes are the UTF-8 of `agent`.
    const response = await rawRequest(server, {
      method: 'GET',
      target: '/v1/api/me/products',
      headers: {
        ...apiKeyHeaders(client),
        'x-correlator': correlator,
        'user-agent': Buffer.from(agent, 'utf8').toString('latin1'),
      },
    });
    expect(response.status).toBe(200);
    const [event] = await eventsByCorrelation(database, [correlator]);
    expect(event.user_agent).toBe(agent);
  });
});
