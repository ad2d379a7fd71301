import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
} from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

interface Reply {
  statusCode: number;
  body: string;
  json<T = unknown>(): T;
}

const NEW_OPERATOR = {
  id: 'ASIACELL_IQ',
  name: 'Asiacell',
  country: 'IQ',
  numberPrefixes: ['+96477'],
  enrichmentHeader: 'X-Up-Calling-Line-Id',
  trustedRanges: ['10.1.0.0/16'],
};

describe('/admin/v1/operators', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let adminKey: string;
  let auditorKey: string;
  let db: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
    db = await database.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.drop();
  });

  function call(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT',
    url: string,
    payload?: Record<string, unknown>,
    key = adminKey,
  ): Promise<Reply> {
    return app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload && { payload }),
    });
  }

  it('lists the shipped sandbox operators of Jordan', async () => {
    const reply = await call('GET', '/admin/v1/operators');
    expect(reply.statusCode).toBe(200);
    const operators = reply.json<{
      items: { id: string; numberPrefixes: string[]; adapterKind: string }[];
    }>().items;
    expect(
      operators
        .filter((operator) => operator.id.endsWith('_JO'))
        .map(({ id, numberPrefixes, adapterKind }) => ({ id, numberPrefixes, adapterKind })),
    ).toEqual([
      { id: 'ORANGE_JO', numberPrefixes: ['+96277'], adapterKind: 'sandbox' },
      { id: 'UMNIAH_JO', numberPrefixes: ['+96278'], adapterKind: 'sandbox' },
      { id: 'ZAIN_JO', numberPrefixes: ['+96279'], adapterKind: 'sandbox' },
    ]);
  });

  it('is closed to auditors and to callers without an admin key', async () => {
    expect((await call('GET', '/admin/v1/operators', undefined, auditorKey)).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/admin/v1/operators' })).statusCode).toBe(401);
  });

  it('adds an operator, refuses the same id twice, and reads it back', async () => {
    const created = await call('POST', '/admin/v1/operators', NEW_OPERATOR);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      ...NEW_OPERATOR,
      adapterKind: 'sandbox',
      settings: {},
      monitoredPeriodDays: null,
      enabled: true,
      swapEvents: { sim: 'sandbox_override', device: 'sandbox_override' },
    });
    const again = await call('POST', '/admin/v1/operators', NEW_OPERATOR);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
    expect((await call('GET', '/admin/v1/operators/ASIACELL_IQ')).json()).toMatchObject({
      id: 'ASIACELL_IQ',
      name: 'Asiacell',
    });
  });

  it.each([
    ['a malformed id', { id: 'zain jo' }],
    ['a prefix without +', { numberPrefixes: ['96277'] }],
    ['no prefix at all', { numberPrefixes: [] }],
    ['a malformed range', { trustedRanges: ['10.1.0.0/40'] }],
    ['an unknown adapter', { adapterKind: 'smtp' }],
    ['a secret in the settings', { settings: { apiKey: 'leak' } }],
    ['a token in the settings', { settings: { accessToken: 'leak' } }],
    [
      'an upstream without its base URL',
      { adapterKind: 'upstream', settings: { clientId: 'cli_x' } },
    ],
    [
      'an upstream with a non-HTTP base URL',
      { adapterKind: 'upstream', settings: { baseUrl: 'ftp://x', clientId: 'cli_x' } },
    ],
    ['an unknown field', { colour: 'red' }],
    ['SIM swap subscriptions on a sandbox operator', { settings: { simSwapSubscriptions: true } }],
    [
      'SIM swap subscriptions that are not a boolean',
      {
        adapterKind: 'camara',
        settings: { baseUrl: 'https://op.example', simSwapSubscriptions: 'yes' },
      },
    ],
    [
      'SIM swap subscriptions without a base URL',
      { adapterKind: 'camara', settings: { simSwapSubscriptions: true } },
    ],
  ])('refuses %s with 400 INVALID_ARGUMENT', async (_case, overrides) => {
    const reply = await call('POST', '/admin/v1/operators', {
      ...NEW_OPERATOR,
      id: 'OTHER_IQ',
      ...overrides,
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
  });

  it('shows where swap events come from: a camara operator is polled, and without the receiver URL even one offering subscriptions', async () => {
    const created = await call('POST', '/admin/v1/operators', {
      ...NEW_OPERATOR,
      id: 'CAMARA_IQ',
      numberPrefixes: ['+96479'],
      adapterKind: 'camara',
      settings: {
        baseUrl: 'https://op.example/camara',
        tokenUrl: 'https://op.example/token',
        clientId: 'gw',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ swapEvents: { sim: 'polling', device: 'polling' } });
    const changed = await call('PATCH', '/admin/v1/operators/CAMARA_IQ', {
      settings: {
        baseUrl: 'https://op.example/camara',
        tokenUrl: 'https://op.example/token',
        clientId: 'gw',
        simSwapSubscriptions: true,
      },
    });
    expect(changed.statusCode).toBe(200);
    // PUSH_UPSTREAM_RECEIVER_URL is unset here: no sink to give the operator, so it stays polled.
    expect(changed.json()).toMatchObject({
      settings: { simSwapSubscriptions: true },
      swapEvents: { sim: 'polling', device: 'polling' },
    });
    expect((await call('GET', '/admin/v1/operators/UMNIAH_JO')).json()).toMatchObject({
      swapEvents: { sim: 'sandbox_override', device: 'sandbox_override' },
    });
  });

  it.each([
    [
      'a CAMARA operator without its token URL',
      { adapterKind: 'camara', settings: { baseUrl: 'https://op.example', clientId: 'cli_x' } },
      'a CAMARA operator needs settings.tokenUrl, an http(s) URL',
    ],
    [
      'a setting its adapter does not define',
      { settings: { baseUrl: 'https://op.example' } },
      'settings.baseUrl is not a setting of this adapter',
    ],
    [
      'an unknown sandbox behaviour',
      { settings: { sandboxBehaviour: 'flaky' } },
      'settings.sandboxBehaviour must be fail or slow',
    ],
  ])(
    'refuses %s when it is written, saying which setting is wrong',
    async (_case, overrides, message) => {
      const reply = await call('POST', '/admin/v1/operators', {
        ...NEW_OPERATOR,
        id: 'TYPED_IQ',
        ...overrides,
      });
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT', message });
      expect((await call('GET', '/admin/v1/operators/TYPED_IQ')).statusCode).toBe(404);
    },
  );

  it('refuses a change of adapter kind that leaves the settings of another kind', async () => {
    await call('POST', '/admin/v1/operators', {
      ...NEW_OPERATOR,
      id: 'KIND_IQ',
      numberPrefixes: ['+96475'],
    });
    const changed = await call('PATCH', '/admin/v1/operators/KIND_IQ', { adapterKind: 'camara' });
    expect(changed.statusCode).toBe(400);
    expect(changed.json()).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a CAMARA operator needs settings.baseUrl, an http(s) URL',
    });
    expect((await call('GET', '/admin/v1/operators/KIND_IQ')).json()).toMatchObject({
      adapterKind: 'sandbox',
    });
  });

  it('changes only the given fields, and 404s for an unknown operator', async () => {
    await call('POST', '/admin/v1/operators', {
      ...NEW_OPERATOR,
      id: 'ZAIN_IQ',
      numberPrefixes: ['+96478'],
    });
    const changed = await call('PATCH', '/admin/v1/operators/ZAIN_IQ', {
      trustedRanges: ['10.9.0.0/16', '2001:db8::/48'],
      enabled: false,
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      id: 'ZAIN_IQ',
      name: 'Asiacell',
      numberPrefixes: ['+96478'],
      trustedRanges: ['10.9.0.0/16', '2001:db8::/48'],
      enabled: false,
    });
    expect(
      (await call('PATCH', '/admin/v1/operators/NOPE_XX', { enabled: false })).statusCode,
    ).toBe(404);
    expect((await call('PATCH', '/admin/v1/operators/ZAIN_IQ', { id: 'RENAMED' })).statusCode).toBe(
      400,
    );
  });

  it('turns an operator into an upstream one and stores its API key encrypted, never returning it', async () => {
    await call('POST', '/admin/v1/operators', { ...NEW_OPERATOR, id: 'UP_IQ' });
    const changed = await call('PATCH', '/admin/v1/operators/UP_IQ', {
      adapterKind: 'upstream',
      settings: { baseUrl: 'https://upstream.example', clientId: 'cli_upstream' },
    });
    expect(changed.json()).toMatchObject({
      adapterKind: 'upstream',
      settings: { baseUrl: 'https://upstream.example', clientId: 'cli_upstream' },
    });
    const secret = 'upstream-secret-value-0123456789';
    const stored = await call('PUT', '/admin/v1/operators/UP_IQ/secrets/apiKey', { value: secret });
    expect(stored.statusCode).toBe(204);
    expect(stored.body).toBe('');
    expect((await call('GET', '/admin/v1/operators/UP_IQ')).body).not.toContain(secret);
    const { rows } = await db.query<{ dump: string }>(
      'SELECT row_to_json(t)::text AS dump FROM operator_secret t',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.dump).not.toContain(secret);
    expect(
      (await call('PUT', '/admin/v1/operators/NOPE_XX/secrets/apiKey', { value: secret }))
        .statusCode,
    ).toBe(404);
  });

  it('makes a disabled operator unknown to verification', async () => {
    await call('POST', '/admin/v1/operators', { ...NEW_OPERATOR, id: 'OFF_IQ', enabled: false });
    const operators = (await call('GET', '/admin/v1/operators')).json<{
      items: { id: string; enabled: boolean }[];
    }>().items;
    expect(operators.find((operator) => operator.id === 'OFF_IQ')).toMatchObject({
      enabled: false,
    });
    const client = await createTestClient(app, { environment: 'SANDBOX' });
    const verify = await app.inject({
      method: 'POST',
      url: '/v1/api/verify',
      headers: apiKeyHeaders(client),
      payload: {
        mobileNumber: '+964771234567',
        encryptedMobileNumber: 'a.b.c.d.e',
        operatorId: 'OFF_IQ',
        serviceType: 'LOGIN',
      },
    });
    expect(verify.statusCode).toBe(400);
    expect(verify.json()).toMatchObject({ messages: [{ code: 'INVALID_OPERATOR' }] });
  });
});
