import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { AuditIntegrityService } from '../../src/modules/audit/audit-integrity.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import {
  createTestAdminKey,
  createTestClient,
  signIdentityMatchJwt,
} from '../support/credentials-factory.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { VerificationKit, verifyBody, warningOf } from '../verification/verification-kit.js';
import { eventsByCorrelation, newCorrelator, withOwner } from './audit-kit.js';

/**
 * A request's side effects (credit, proof, JWT id) and its audit event are one unit of work: when
 * the event cannot be written, nothing the request would have changed is changed.
 */
describeOnPostgres('one unit of work per request', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: VerificationKit;
  let admin: { id: string; key: string };
  let db: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' });
    kit = new VerificationKit(app);
    admin = await createTestAdminKey(app, 'admin');
    db = await database.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.drop();
  });

  async function liveClient(credits: number): Promise<CreatedClient> {
    const client = await kit.client('LIVE');
    const reply = await app.inject({
      method: 'POST',
      url: `/admin/v1/clients/${client.clientId}/balance/top-up`,
      headers: { authorization: `Bearer ${admin.key}` },
      payload: { credits },
    });
    expect(reply.statusCode).toBe(200);
    return client;
  }

  async function credits(clientId: string): Promise<number> {
    const { rows } = await db.query<{ credits: number }>(
      'SELECT credits FROM client_balance WHERE client_id = $1',
      [clientId],
    );
    return rows[0]?.credits ?? 0;
  }

  async function countOf(sql: string, parameters: unknown[]): Promise<number> {
    const { rows } = await db.query<{ n: string }>(sql, parameters);
    return Number(rows[0].n);
  }

  /** Makes every INSERT into `table` fail while `work` runs (as the owner, like a broken disk would). */
  async function whileInsertsFail<T>(table: string, work: () => Promise<T>): Promise<T> {
    await withOwner(database, (owner) =>
      owner.query(`
        CREATE FUNCTION test_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'storage unavailable'; END $$;
        CREATE TRIGGER test_refuse_insert BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_refuse_insert();`),
    );
    try {
      return await work();
    } finally {
      await withOwner(database, (owner) =>
        owner.query(
          `DROP TRIGGER test_refuse_insert ON ${table}; DROP FUNCTION test_refuse_insert();`,
        ),
      );
    }
  }

  it('keeps the credit and the proof of a LIVE verify whose audit event cannot be written', async () => {
    const client = await liveClient(3);
    const proof = await kit.sealedProof(client.clientId);
    const failed = await whileInsertsFail('audit_event', () =>
      kit.verify(client, verifyBody({ encryptedMobileNumber: proof })),
    );
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({
      success: false,
      data: null,
      messages: [{ code: 'SERVICE_UNAVAILABLE' }],
    });
    expect(failed.body).not.toContain('validNumber');
    expect(await credits(client.clientId)).toBe(3);
    expect(
      await countOf('SELECT count(*) AS n FROM balance_ledger WHERE client_id = $1 AND kind = $2', [
        client.clientId,
        'verify',
      ]),
    ).toBe(0);

    const retried = await kit.verify(client, verifyBody({ encryptedMobileNumber: proof }));
    expect(retried.statusCode).toBe(200);
    expect(warningOf(retried).validNumber).toBe(true);
    expect(await credits(client.clientId)).toBe(2);
  });

  it('takes no credit when the proof spend itself fails', async () => {
    const client = await liveClient(2);
    const proof = await kit.sealedProof(client.clientId);
    const failed = await whileInsertsFail('proof_use', () =>
      kit.verify(client, verifyBody({ encryptedMobileNumber: proof })),
    );
    expect(failed.statusCode).toBe(503);
    expect(await credits(client.clientId)).toBe(2);
    expect(
      warningOf(await kit.verify(client, verifyBody({ encryptedMobileNumber: proof }))).validNumber,
    ).toBe(true);
    expect(await credits(client.clientId)).toBe(1);
  });

  it.each([
    ['CAMARA', '/sim-swap/v2/check', { phoneNumber: '+31612345004' }],
    [
      'Identity Match',
      '/mobile-identity/v1/sim-swap',
      { phoneNumber: '+31612345004', serviceType: '24h' },
    ],
  ])(
    'lets a %s token’s jti be used again after a 503, then only once',
    async (_contract, url, body) => {
      const client = await createTestClient(app, { products: ['SIM_SWAP'] });
      const token = signIdentityMatchJwt(client, { jti: randomUUID() });
      const send = () =>
        app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
      const failed = await whileInsertsFail('audit_event', send);
      expect(failed.statusCode).toBe(503);
      expect(failed.body).not.toContain('swapped');
      const first = await send();
      expect(first.statusCode).toBe(200);
      const replayed = await send();
      expect(replayed.statusCode).toBe(401);
    },
  );

  it('answers one of many concurrent requests carrying the same jti', async () => {
    const client = await createTestClient(app, { products: ['SIM_SWAP'] });
    const token = signIdentityMatchJwt(client, { jti: randomUUID() });
    const replies = await Promise.all(
      Array.from({ length: 12 }, () =>
        app.inject({
          method: 'POST',
          url: '/sim-swap/v2/check',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ phoneNumber: '+31612345004' }),
        }),
      ),
    );
    expect(replies.map((reply) => reply.statusCode).sort()).toEqual([
      200,
      ...Array<number>(11).fill(401),
    ]);
  });

  it('creates no client and rotates no key when the admin request’s audit event cannot be written', async () => {
    const name = `uow-${randomUUID()}`;
    const admin_ = { authorization: `Bearer ${admin.key}` };
    const failed = await whileInsertsFail('audit_event', () =>
      app.inject({
        method: 'POST',
        url: '/admin/v1/clients',
        headers: admin_,
        payload: { name, products: ['VERIFY'] },
      }),
    );
    expect(failed.statusCode).toBe(503);
    expect(failed.body).not.toMatch(/apiKey|secret/i);
    expect(await countOf('SELECT count(*) AS n FROM client WHERE name = $1', [name])).toBe(0);

    const client = await kit.client('SANDBOX');
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM credential WHERE client_id = $1 AND kind = 'api_key'`,
      [client.clientId],
    );
    const rotation = await whileInsertsFail('audit_event', () =>
      app.inject({
        method: 'POST',
        url: `/admin/v1/clients/${client.clientId}/credentials/${rows[0].id}/rotate`,
        headers: admin_,
        payload: {},
      }),
    );
    expect(rotation.statusCode).toBe(503);
    expect(
      await countOf(
        `SELECT count(*) AS n FROM credential WHERE client_id = $1 AND kind = 'api_key'`,
        [client.clientId],
      ),
    ).toBe(1);
    const stillWorks = await app.inject({
      method: 'GET',
      url: '/v1/api/me/products',
      headers: { 'x-client-id': client.clientId, 'x-api-key': client.apiKey },
    });
    expect(stillWorks.statusCode).toBe(200);

    // And when the database takes events again, the same change commits with its event.
    const created = await app.inject({
      method: 'POST',
      url: '/admin/v1/clients',
      headers: { ...admin_, 'x-correlator': `uow-${name}` },
      payload: { name, products: ['VERIFY'] },
    });
    expect(created.statusCode).toBe(201);
    expect(await countOf('SELECT count(*) AS n FROM client WHERE name = $1', [name])).toBe(1);
    expect(
      (await eventsByCorrelation(database, [`uow-${name}`])).map((event) => [
        event.action,
        event.http_status,
      ]),
    ).toContainEqual([expect.any(String), 201]);
  });

  it('spends no credit without its event when the gateway is killed (SIGKILL) during a burst of LIVE verifies', async () => {
    const client = await liveClient(100_000);
    const proofs = await Promise.all(
      Array.from({ length: 1500 }, () => kit.sealedProof(client.clientId)),
    );
    const gateway = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      MIGRATE_ON_START: 'false',
    });
    const delivered: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < proofs.length) {
        const proof = proofs[next++];
        const correlator = newCorrelator('uow-burst');
        try {
          const response = await fetch(`${gateway.url}/v1/api/verify`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-client-id': client.clientId,
              'x-api-key': client.apiKey,
              'x-correlator': correlator,
            },
            body: JSON.stringify(verifyBody({ encryptedMobileNumber: proof })),
          });
          const body = (await response.json()) as { data?: { validNumber?: boolean } };
          if (response.status === 200 && body.data?.validNumber === true)
            delivered.push(correlator);
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: 24 }, () => worker());
    const deadline = Date.now() + 30_000;
    while (delivered.length < 300 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await gateway.stop('SIGKILL');
    await Promise.all(workers);

    expect(delivered.length).toBeGreaterThanOrEqual(300);
    const events = await eventsByCorrelation(database, delivered);
    const recorded = new Set(events.map((event) => event.correlation_id));
    expect(delivered.filter((correlator) => !recorded.has(correlator))).toEqual([]);

    const spent = 100_000 - (await credits(client.clientId));
    const ledger = await countOf(
      'SELECT count(*) AS n FROM balance_ledger WHERE client_id = $1 AND kind = $2',
      [client.clientId, 'verify'],
    );
    const proofsUsed = await countOf('SELECT count(*) AS n FROM proof_use WHERE client_id = $1', [
      client.clientId,
    ]);
    const verdicts = await countOf(
      `SELECT count(*) AS n FROM audit_event WHERE client_id = $1 AND contract = 'authmatech' AND http_status = 200 AND verdict IS NOT NULL`,
      [client.clientId],
    );
    expect(spent).toBeGreaterThanOrEqual(delivered.length);
    expect({ ledger, proofsUsed, verdicts }).toEqual({
      ledger: spent,
      proofsUsed: spent,
      verdicts: spent,
    });
    await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({ ok: true });
  }, 90_000);
});
