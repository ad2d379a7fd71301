import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { apiKeyHeaders, createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { VerificationKit, verifyBody, warningOf, type Reply } from './verification-kit.js';

describe('verification balances', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: VerificationKit;
  let admin: { id: string; key: string };
  let auditor: { id: string; key: string };
  let db: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { OPERATOR_DEADLINE_MS: '200' });
    kit = new VerificationKit(app);
    admin = await createTestAdminKey(app, 'admin');
    auditor = await createTestAdminKey(app, 'auditor');
    db = await database.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.drop();
  });

  function topUp(
    clientId: string,
    payload: Record<string, unknown>,
    key = admin.key,
  ): Promise<Reply> {
    return app.inject({
      method: 'POST',
      url: `/admin/v1/clients/${clientId}/balance/top-up`,
      headers: { authorization: `Bearer ${key}` },
      payload,
    });
  }

  async function liveVerify(
    client: CreatedClient,
    overrides: Record<string, unknown> = {},
  ): Promise<Reply> {
    const proof = await kit.sealedProof(client.clientId);
    return kit.verify(client, verifyBody({ encryptedMobileNumber: proof, ...overrides }));
  }

  async function credits(clientId: string): Promise<number> {
    const { rows } = await db.query<{ credits: number }>(
      'SELECT credits FROM client_balance WHERE client_id = $1',
      [clientId],
    );
    return rows[0]?.credits ?? 0;
  }

  it('refuses a LIVE client without credits with 400 INSUFFICIENT_BALANCE, before spending its proof', async () => {
    const client = await kit.client('LIVE');
    const proof = await kit.sealedProof(client.clientId);
    const refused = await kit.verify(client, verifyBody({ encryptedMobileNumber: proof }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      success: false,
      messages: [{ code: 'INSUFFICIENT_BALANCE', httpStatus: 'BAD_REQUEST' }],
      data: null,
    });
    expect((await topUp(client.clientId, { credits: 1 })).statusCode).toBe(200);
    expect(
      warningOf(await kit.verify(client, verifyBody({ encryptedMobileNumber: proof }))).validNumber,
    ).toBe(true);
  });

  it('takes exactly one credit per verdict, positive or negative, and writes the ledger', async () => {
    const client = await kit.client('LIVE');
    expect((await topUp(client.clientId, { credits: 3 })).json()).toMatchObject({
      clientId: client.clientId,
      credits: 3,
      expiresAt: null,
      expired: false,
    });
    expect(warningOf(await liveVerify(client)).validNumber).toBe(true);
    expect(warningOf(await liveVerify(client, { mobileNumber: '+962791111111' })).code).toBe(
      'NUMBER_MISMATCH',
    );
    expect(await credits(client.clientId)).toBe(1);
    const history = await app.inject({
      method: 'GET',
      url: '/v1/api/me/balance-history',
      headers: apiKeyHeaders(client),
    });
    expect(
      history
        .json<{ data: { items: { kind: string; change: number; balanceAfter: number }[] } }>()
        .data.items.map(({ kind, change, balanceAfter }) => ({ kind, change, balanceAfter })),
    ).toEqual([
      { kind: 'VERIFY', change: -1, balanceAfter: 1 },
      { kind: 'VERIFY', change: -1, balanceAfter: 2 },
      { kind: 'TOP_UP', change: 3, balanceAfter: 3 },
    ]);
  });

  it('charges nothing for errors: validation, malformed proof, operator unavailable', async () => {
    const client = await kit.client('LIVE');
    await topUp(client.clientId, { credits: 2 });
    expect((await liveVerify(client, { serviceType: 'NOPE' })).statusCode).toBe(400);
    expect((await kit.verify(client, verifyBody())).statusCode).toBe(400);
    expect((await liveVerify(client, { mobileNumber: '+962790000503' })).statusCode).toBe(503);
    expect((await liveVerify(client, { mobileNumber: '+962790000504' })).statusCode).toBe(503);
    expect(await credits(client.clientId)).toBe(2);
    const { rows } = await db.query<{ kind: string }>(
      'SELECT kind FROM balance_ledger WHERE client_id = $1 ORDER BY id',
      [client.clientId],
    );
    // Nothing was taken, so nothing needed refunding: the ledger holds the top-up alone.
    expect(rows.map((row) => row.kind)).toEqual(['top_up']);
  });

  it('never spends more credits than it has, under 20 concurrent verifies with a balance of 5', async () => {
    const client = await kit.client('LIVE');
    await topUp(client.clientId, { credits: 5 });
    const proofs = await Promise.all(
      Array.from({ length: 20 }, () => kit.sealedProof(client.clientId)),
    );
    const replies = await Promise.all(
      proofs.map((proof) => kit.verify(client, verifyBody({ encryptedMobileNumber: proof }))),
    );
    expect(
      replies.filter((reply) => reply.statusCode === 200 && warningOf(reply).validNumber),
    ).toHaveLength(5);
    const refused = replies.filter((reply) => reply.statusCode === 400);
    expect(refused).toHaveLength(15);
    for (const reply of refused)
      expect(reply.json()).toMatchObject({ messages: [{ code: 'INSUFFICIENT_BALANCE' }] });
    expect(await credits(client.clientId)).toBe(0);
  });

  it('refuses an expired balance, and a top-up with a later expiry revives it', async () => {
    const client = await kit.client('LIVE');
    await topUp(client.clientId, { credits: 4, expiresAt: '2020-01-01T00:00:00Z' });
    expect((await liveVerify(client)).json()).toMatchObject({
      messages: [{ code: 'INSUFFICIENT_BALANCE' }],
    });
    const products = await app.inject({
      method: 'GET',
      url: '/v1/api/me/products',
      headers: apiKeyHeaders(client),
    });
    expect(products.json()).toMatchObject({ data: { balance: { credits: 4, expired: true } } });
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect((await topUp(client.clientId, { credits: 1, expiresAt: future })).json()).toMatchObject({
      credits: 5,
      expiresAt: future,
      expired: false,
    });
    expect(warningOf(await liveVerify(client)).validNumber).toBe(true);
  });

  it('never charges a SANDBOX client', async () => {
    const client = await kit.client('SANDBOX');
    for (let i = 0; i < 3; i += 1)
      expect(
        warningOf(
          await kit.verify(
            client,
            verifyBody({ encryptedMobileNumber: (await kit.proof(client)).proof }),
          ),
        ).validNumber,
      ).toBe(true);
    expect(await credits(client.clientId)).toBe(0);
    const products = await app.inject({
      method: 'GET',
      url: '/v1/api/me/products',
      headers: apiKeyHeaders(client),
    });
    expect(products.json()).toMatchObject({
      success: true,
      data: {
        clientId: client.clientId,
        environment: 'SANDBOX',
        charged: false,
        products: expect.arrayContaining(['VERIFY']),
      },
    });
  });

  it('shows each client only its own products and history', async () => {
    const first = await kit.client('LIVE', ['VERIFY']);
    const second = await kit.client('LIVE', ['VERIFY', 'VERIFY_MASKED']);
    await topUp(first.clientId, { credits: 7 });
    const products = await app.inject({
      method: 'GET',
      url: '/v1/api/me/products',
      headers: apiKeyHeaders(second),
    });
    expect(products.json()).toMatchObject({
      data: {
        clientId: second.clientId,
        products: ['VERIFY', 'VERIFY_MASKED'],
        charged: true,
        balance: { credits: 0 },
      },
    });
    const history = await app.inject({
      method: 'GET',
      url: '/v1/api/me/balance-history',
      headers: apiKeyHeaders(second),
    });
    expect(history.json()).toMatchObject({ data: { items: [], nextCursor: null } });
    // Query parameters cannot point at another client.
    const probing = await app.inject({
      method: 'GET',
      url: `/v1/api/me/balance-history?clientId=${first.clientId}`,
      headers: apiKeyHeaders(second),
    });
    expect(probing.statusCode).toBe(400);
  });

  describe('POST /admin/v1/clients/{clientId}/balance/top-up', () => {
    it('is for admins only', async () => {
      const client = await kit.client('LIVE');
      expect((await topUp(client.clientId, { credits: 1 }, auditor.key)).statusCode).toBe(403);
      expect((await topUp(client.clientId, { credits: 1 }, 'not-a-key')).statusCode).toBe(401);
      const read = (key: string) =>
        app.inject({
          method: 'GET',
          url: `/admin/v1/clients/${client.clientId}/balance`,
          headers: { authorization: `Bearer ${key}` },
        });
      // Balances are billing data: an auditor reads the audit trail, not a client's account.
      expect((await read(auditor.key)).json()).toEqual({
        status: 403,
        code: 'PERMISSION_DENIED',
        message: expect.any(String),
      });
      expect((await read(admin.key)).json()).toEqual({
        clientId: client.clientId,
        credits: 0,
        expiresAt: null,
        expired: false,
      });
    });

    it('validates the amount and the client', async () => {
      const client = await kit.client('LIVE');
      for (const payload of [
        { credits: 0 },
        { credits: -5 },
        { credits: 1.5 },
        { credits: '10' },
        {},
        { credits: 1, expiresAt: 'tomorrow' },
        { credits: 1, note: 'x' },
      ]) {
        const reply = await topUp(client.clientId, payload);
        expect(reply.statusCode).toBe(400);
        expect(reply.json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
      }
      expect((await topUp('cli_doesnotexist', { credits: 1 })).json()).toEqual({
        status: 404,
        code: 'NOT_FOUND',
        message: expect.any(String),
      });
    });

    it('records the admin who topped up in the ledger', async () => {
      const client = await kit.client('LIVE');
      await topUp(client.clientId, { credits: 9 });
      const { rows } = await db.query<{ actor_id: string; change: number }>(
        'SELECT actor_id, change FROM balance_ledger WHERE client_id = $1',
        [client.clientId],
      );
      expect(rows).toEqual([{ actor_id: admin.id, change: 9 }]);
    });
  });
});
