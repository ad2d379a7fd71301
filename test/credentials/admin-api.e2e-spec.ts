import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { apiKeyHeaders, createTestAdminKey } from '../support/credentials-factory.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

describe('admin API for clients, credentials and admin keys', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let adminKey: string;
  let auditorKey: string;

  const as = (key: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startCredentialsTestApp(database, { imports: [ProbeModule] });
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('creates a client, shows its secrets once, and lists its credentials without secrets', async () => {
    const created = await as(adminKey, 'POST', '/admin/v1/clients', {
      name: 'Acme',
      environment: 'LIVE',
      products: ['VERIFY', 'SIM_SWAP'],
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.client).toMatchObject({
      name: 'Acme',
      environment: 'LIVE',
      products: ['VERIFY', 'SIM_SWAP'],
      status: 'active',
      rateLimitPerMinute: 1000,
    });
    expect(body.credentials.apiKey).toMatch(/^mig_live_/);
    const clientId: string = body.client.clientId;
    expect(clientId).toMatch(/^cli_[0-9A-Za-z]{22}$/);

    const works = await app.inject({
      method: 'GET',
      url: '/v1/api/probe',
      headers: apiKeyHeaders({ clientId, apiKey: body.credentials.apiKey }),
    });
    expect(works.statusCode).toBe(200);

    const listed = await as(adminKey, 'GET', `/admin/v1/clients/${clientId}/credentials`);
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items;
    expect(items.map((item: { kind: string }) => item.kind).sort()).toEqual([
      'api_key',
      'client_secret',
      'jwt_key',
    ]);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual([
        'createdAt',
        'endedAt',
        'expiresAt',
        'fingerprint',
        'id',
        'kind',
        'lastUsedAt',
        'role',
        'rotatedFromId',
        'status',
      ]);
    }
    for (const secret of Object.values<string>(body.credentials)) {
      if (secret !== body.credentials.jwtKeyId) expect(listed.body).not.toContain(secret);
    }
    const apiKeyRow = items.find((item: { kind: string }) => item.kind === 'api_key');
    expect(apiKeyRow.lastUsedAt).not.toBeNull();
  });

  it('gets, lists and updates clients; an unknown client is 404', async () => {
    const created = (
      await as(adminKey, 'POST', '/admin/v1/clients', { name: 'Beta', products: [] })
    ).json();
    const clientId = created.client.clientId;
    const updated = await as(adminKey, 'PATCH', `/admin/v1/clients/${clientId}`, {
      products: ['VERIFY'],
      rateLimitPerMinute: 50,
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      products: ['VERIFY'],
      rateLimitPerMinute: 50,
      environment: 'SANDBOX',
    });
    expect((await as(adminKey, 'GET', `/admin/v1/clients/${clientId}`)).json()).toMatchObject({
      name: 'Beta',
    });
    const list = (await as(adminKey, 'GET', '/admin/v1/clients?limit=200')).json();
    expect(list.items.map((item: { clientId: string }) => item.clientId)).toContain(clientId);
    const missing = await as(adminKey, 'GET', '/admin/v1/clients/cli_doesnotexist');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ status: 404, code: 'NOT_FOUND', message: expect.any(String) });
  });

  it('issues an additional credential, and cannot rotate or revoke one through another client’s path', async () => {
    const a = (
      await as(adminKey, 'POST', '/admin/v1/clients', { name: 'A', products: ['VERIFY'] })
    ).json();
    const b = (
      await as(adminKey, 'POST', '/admin/v1/clients', { name: 'B', products: ['VERIFY'] })
    ).json();
    const issued = await as(
      adminKey,
      'POST',
      `/admin/v1/clients/${a.client.clientId}/credentials`,
      { kind: 'api_key' },
    );
    expect(issued.statusCode).toBe(201);
    expect(issued.json().secret).toMatch(/^mig_test_/);
    const aKeyId = issued.json().credential.id;
    const crossRotate = await as(
      adminKey,
      'POST',
      `/admin/v1/clients/${b.client.clientId}/credentials/${aKeyId}/rotate`,
      {},
    );
    expect(crossRotate.statusCode).toBe(404);
    const crossRevoke = await as(
      adminKey,
      'POST',
      `/admin/v1/clients/${b.client.clientId}/credentials/${aKeyId}/revoke`,
    );
    expect(crossRevoke.statusCode).toBe(404);
    const stillWorks = await app.inject({
      method: 'GET',
      url: '/v1/api/probe',
      headers: apiKeyHeaders({ clientId: a.client.clientId, apiKey: issued.json().secret }),
    });
    expect(stillWorks.statusCode).toBe(200);
  });

  it('an auditor key cannot manage clients or admin keys (403) but passes auditor routes', async () => {
    const attempts = [
      await as(auditorKey, 'POST', '/admin/v1/clients', { name: 'X', products: [] }),
      await as(auditorKey, 'GET', '/admin/v1/clients'),
      await as(auditorKey, 'POST', '/admin/v1/admin-keys', { role: 'admin' }),
    ];
    for (const response of attempts) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        status: 403,
        code: 'PERMISSION_DENIED',
        message: expect.any(String),
      });
    }
    const audit = await as(auditorKey, 'GET', '/admin/v1/probe/audit');
    expect(audit.statusCode).toBe(200);
    expect(audit.json()).toMatchObject({ kind: 'admin', role: 'auditor' });
    expect((await as(adminKey, 'GET', '/admin/v1/probe/audit')).statusCode).toBe(200);
  });

  it('answers a missing, malformed, client or revoked admin key with the uniform 401', async () => {
    const created = (await as(adminKey, 'POST', '/admin/v1/admin-keys', { role: 'admin' })).json();
    expect(created.key).toMatch(/^mig_admin_/);
    expect((await as(created.key, 'GET', '/admin/v1/clients')).statusCode).toBe(200);
    const revoke = await as(adminKey, 'POST', `/admin/v1/admin-keys/${created.id}/revoke`);
    expect(revoke.statusCode).toBe(200);
    const client = (
      await as(adminKey, 'POST', '/admin/v1/clients', { name: 'C', products: [] })
    ).json();
    for (const key of [created.key, 'mig_admin_nope', client.credentials.apiKey, '']) {
      const response = await as(key, 'GET', '/admin/v1/clients');
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'Request not authenticated due to missing, invalid, or expired credentials.',
      });
    }
    const keys = (await as(adminKey, 'GET', '/admin/v1/admin-keys')).json();
    expect(keys.items.find((item: { id: string }) => item.id === created.id)).toMatchObject({
      status: 'revoked',
      role: 'admin',
    });
  });

  it('rejects invalid bodies without echoing them', async () => {
    const response = await as(adminKey, 'POST', '/admin/v1/clients', {
      name: 'D',
      products: ['NOT_A_PRODUCT_xyz'],
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('NOT_A_PRODUCT_xyz');
  });
});
