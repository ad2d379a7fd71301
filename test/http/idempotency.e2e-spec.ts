import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { IdempotencyService } from '../../src/modules/idempotency/idempotency.service.js';
import { apiKeyHeaders, createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { VerificationKit, verifyBody, type Reply } from '../verification/verification-kit.js';

interface Headers {
  headers: Record<string, string | string[] | number | undefined>;
}

describe('Idempotency-Key', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let other: NestFastifyApplication;
  let kit: VerificationKit;
  let admin: { id: string; key: string };
  let db: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Two instances on one database, as behind a load balancer; jobs off (the test purges itself).
    app = await startTestApp(database, { JOBS_ENABLED: 'false' });
    other = await startTestApp(database, { JOBS_ENABLED: 'false' });
    kit = new VerificationKit(app);
    admin = await createTestAdminKey(app, 'admin');
    db = await database.connect();
  });

  afterAll(async () => {
    await db?.end();
    await other?.close();
    await app?.close();
    await database?.drop();
  });

  const replayed = (reply: Headers): boolean => reply.headers['idempotent-replayed'] === 'true';

  function verify(
    client: CreatedClient,
    body: Record<string, unknown>,
    key: string,
    on = app,
    correlator?: string,
  ): Promise<Reply & Headers> {
    return on.inject({
      method: 'POST',
      url: '/v1/api/verify',
      headers: {
        ...apiKeyHeaders(client),
        'idempotency-key': key,
        ...(correlator && { 'x-correlator': correlator }),
      },
      payload: body,
    });
  }

  function topUp(
    clientId: string,
    payload: Record<string, unknown>,
    key: string,
    on = app,
  ): Promise<Reply & Headers> {
    return on.inject({
      method: 'POST',
      url: `/admin/v1/clients/${clientId}/balance/top-up`,
      headers: { authorization: `Bearer ${admin.key}`, 'idempotency-key': key },
      payload,
    });
  }

  async function liveClient(credits: number): Promise<CreatedClient> {
    const client = await kit.client('LIVE');
    if (credits > 0)
      expect((await topUp(client.clientId, { credits }, randomUUID())).statusCode).toBe(200);
    return client;
  }

  async function credits(clientId: string): Promise<number> {
    const { rows } = await db.query<{ credits: number }>(
      'SELECT credits FROM client_balance WHERE client_id = $1',
      [clientId],
    );
    return rows[0]?.credits ?? 0;
  }

  async function ledger(clientId: string, kind: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM balance_ledger WHERE client_id = $1 AND kind = $2',
      [clientId, kind],
    );
    return rows[0].n;
  }

  async function storedKeys(key: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM idempotency_key WHERE key = $1',
      [key],
    );
    return rows[0].n;
  }

  describe('on verify (POST /v1/api/verify)', () => {
    it('replays a repeat with the same key and body: same status and body, Idempotent-Replayed, one credit', async () => {
      const client = await liveClient(3);
      const body = verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) });
      const key = randomUUID();
      const first = await verify(client, body, key);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ success: true, data: { validNumber: true } });
      expect(replayed(first)).toBe(false);

      // Keys in another order are the same body.
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      const repeat = await verify(client, reordered, key);
      expect(repeat.statusCode).toBe(200);
      expect(replayed(repeat)).toBe(true);
      expect(repeat.body).toBe(first.body);
      expect(await credits(client.clientId)).toBe(2);
      expect(await ledger(client.clientId, 'verify')).toBe(1);
    });

    it('refuses the key with another body: 409 IDEMPOTENCY_KEY_REUSED in the Authmatech envelope, nothing spent', async () => {
      const client = await liveClient(3);
      const proof = await kit.sealedProof(client.clientId);
      const key = randomUUID();
      expect(
        (await verify(client, verifyBody({ encryptedMobileNumber: proof }), key)).statusCode,
      ).toBe(200);
      const other = await verify(
        client,
        verifyBody({ encryptedMobileNumber: proof, serviceType: 'REGISTRATION' }),
        key,
      );
      expect(other.statusCode).toBe(409);
      expect(other.json()).toEqual({
        success: false,
        messages: [
          {
            type: 'FAILURE',
            code: 'IDEMPOTENCY_KEY_REUSED',
            message: expect.any(String),
            httpStatus: 'CONFLICT',
            technical: false,
            arguments: null,
          },
        ],
        data: null,
      });
      expect(await credits(client.clientId)).toBe(2);
    });

    it('does the work once for N concurrent requests with one key: one verdict, one credit, the rest replayed', async () => {
      const client = await liveClient(10);
      const body = verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) });
      const key = randomUUID();
      const replies = await Promise.all(Array.from({ length: 8 }, () => verify(client, body, key)));
      expect(replies.map((reply) => reply.statusCode)).toEqual(Array(8).fill(200));
      // None answers PROOF_ALREADY_USED: every one is the first request's answer.
      expect(new Set(replies.map((reply) => reply.body)).size).toBe(1);
      expect(replies[0].json()).toMatchObject({ data: { validNumber: true } });
      expect(replies.filter((reply) => !replayed(reply))).toHaveLength(1);
      expect(await credits(client.clientId)).toBe(9);
      expect(await ledger(client.clientId, 'verify')).toBe(1);
    });

    it('does the work once across two instances on one database', async () => {
      const client = await liveClient(10);
      const body = verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) });
      const key = randomUUID();
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          verify(client, body, key, index % 2 === 0 ? app : other),
        ),
      );
      expect(replies.map((reply) => reply.statusCode)).toEqual(Array(8).fill(200));
      expect(new Set(replies.map((reply) => reply.body)).size).toBe(1);
      expect(replies.filter((reply) => !replayed(reply))).toHaveLength(1);
      expect(await credits(client.clientId)).toBe(9);
      expect(await ledger(client.clientId, 'verify')).toBe(1);
      // A later repeat on either instance is a replay too.
      expect(replayed(await verify(client, body, key, other))).toBe(true);
      expect(replayed(await verify(client, body, key, app))).toBe(true);
    });

    it("keeps one client's key out of another's reach: the same key string of two clients are two keys", async () => {
      const a = await liveClient(2);
      const b = await liveClient(2);
      const key = `shared-${randomUUID()}`;
      const forA = await verify(
        a,
        verifyBody({ encryptedMobileNumber: await kit.sealedProof(a.clientId) }),
        key,
      );
      const forB = await verify(
        b,
        verifyBody({ encryptedMobileNumber: await kit.sealedProof(b.clientId) }),
        key,
      );
      expect([forA.statusCode, forB.statusCode]).toEqual([200, 200]);
      expect([replayed(forA), replayed(forB)]).toEqual([false, false]);
      expect(forB.json()).toMatchObject({ data: { validNumber: true } });
      expect([await credits(a.clientId), await credits(b.clientId)]).toEqual([1, 1]);
      expect(await storedKeys(key)).toBe(2);
    });

    it('leaves the key unused when the request fails with 503: nothing stored, nothing spent, the key works after', async () => {
      const client = await liveClient(2);
      const key = randomUUID();
      const down = await verify(
        client,
        verifyBody({
          encryptedMobileNumber: await kit.sealedProof(client.clientId, '+962790000503'),
          mobileNumber: '+962790000503',
        }),
        key,
      );
      expect(down.statusCode).toBe(503);
      expect(await storedKeys(key)).toBe(0);
      expect(await credits(client.clientId)).toBe(2);
      // The retry (here with the number that works) runs, as a first request.
      const retry = await verify(
        client,
        verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) }),
        key,
      );
      expect(retry.statusCode).toBe(200);
      expect(replayed(retry)).toBe(false);
      expect(await credits(client.clientId)).toBe(1);
    });

    it('commits nothing when its unit of work cannot be written (503): no key, no credit, the proof still unspent', async () => {
      const client = await liveClient(2);
      const body = verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) });
      const key = randomUUID();
      // The audit trail is blocked (its chain head locked past the lock timeout): the unit's one
      // statement (claim, credit, proof, event, answer) fails as a whole.
      const blocker = await database.connect();
      let failed: Reply & Headers;
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE');
        failed = await verify(client, body, key);
        await blocker.query('ROLLBACK');
      } finally {
        await blocker.end();
      }
      expect(failed.statusCode).toBe(503);
      expect(await storedKeys(key)).toBe(0);
      expect(await credits(client.clientId)).toBe(2);
      const retry = await verify(client, body, key);
      expect(retry.statusCode).toBe(200);
      expect(replayed(retry)).toBe(false);
      expect(retry.json()).toMatchObject({ data: { validNumber: true } });
      expect(await credits(client.clientId)).toBe(1);
    });

    it('audits the replay as a replay, linked to the original event', async () => {
      const client = await liveClient(2);
      const body = verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) });
      const key = randomUUID();
      const original = `idem-original-${randomUUID()}`;
      const repeat = `idem-repeat-${randomUUID()}`;
      await verify(client, body, key, app, original);
      await verify(client, body, key, app, repeat);
      const { rows: originals } = await db.query<{ id: string; action: string; verdict: unknown }>(
        'SELECT id::text, action, verdict FROM audit_event WHERE correlation_id = $1',
        [original],
      );
      expect(originals).toEqual([
        { id: expect.any(String), action: 'verify', verdict: { validNumber: true } },
      ]);
      const { rows: replays } = await db.query<{
        action: string;
        http_status: number;
        verdict: unknown;
        detail: unknown;
        client_id: string;
      }>(
        'SELECT action, http_status, verdict, detail, client_id FROM audit_event WHERE correlation_id = $1',
        [repeat],
      );
      expect(replays).toEqual([
        {
          action: 'verify.replay',
          http_status: 200,
          verdict: null,
          client_id: client.clientId,
          detail: { replayOf: { eventId: originals[0].id, correlationId: original } },
        },
      ]);
    });

    it('ignores an expired key (24 h) and the purge job deletes it', async () => {
      const client = await liveClient(3);
      const key = randomUUID();
      expect(
        (
          await verify(
            client,
            verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) }),
            key,
          )
        ).statusCode,
      ).toBe(200);
      await db.query(
        "UPDATE idempotency_key SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      await db.query(
        "UPDATE idempotency_response SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      // Another body with the expired key is a new request, not a conflict.
      const fresh = await verify(
        client,
        verifyBody({
          encryptedMobileNumber: await kit.sealedProof(client.clientId),
          serviceType: 'REGISTRATION',
        }),
        key,
      );
      expect(fresh.statusCode).toBe(200);
      expect(replayed(fresh)).toBe(false);
      expect(await credits(client.clientId)).toBe(1);

      await db.query(
        "UPDATE idempotency_key SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      await db.query(
        "UPDATE idempotency_response SET expires_at = now() - interval '1 second' WHERE key = $1",
        [key],
      );
      const report = await app.get(IdempotencyService).purgeExpired();
      expect(report).toMatchObject({ skipped: false });
      expect(report.keys).toBeGreaterThanOrEqual(1);
      expect(await storedKeys(key)).toBe(0);
    });

    it('refuses a malformed key with 400 before doing anything', async () => {
      const client = await liveClient(1);
      const reply = await verify(
        client,
        verifyBody({ encryptedMobileNumber: await kit.sealedProof(client.clientId) }),
        'not a valid key',
      );
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'INVALID_IDEMPOTENCY_KEY' }],
      });
      expect(await credits(client.clientId)).toBe(1);
    });
  });

  describe('on the assessments (Trust, Shield, Detect)', () => {
    function assess(
      client: CreatedClient,
      route: string,
      body: Record<string, unknown>,
      key: string,
      on = app,
    ): Promise<Reply & Headers> {
      return on.inject({
        method: 'POST',
        url: `/v1/api/${route}`,
        headers: { ...apiKeyHeaders(client), 'idempotency-key': key },
        payload: body,
      });
    }

    it.each(['trust/score', 'shield/assess', 'detect/analyze'])(
      'POST /v1/api/%s: a repeat replays the first answer (same transactionId) and costs one credit',
      async (route) => {
        const client = await liveClient(3);
        const body = { mobileNumber: '+31612345001', serviceType: 'TRANSACTION' };
        const key = randomUUID();
        const first = await assess(client, route, body, key);
        expect(first.statusCode).toBe(200);
        expect(first.json()).toMatchObject({
          success: true,
          data: { transactionId: expect.any(String) },
        });
        const repeat = await assess(client, route, body, key, other);
        expect(repeat.statusCode).toBe(200);
        expect(replayed(repeat)).toBe(true);
        expect(repeat.body).toBe(first.body);
        expect(await credits(client.clientId)).toBe(2);
        expect(await ledger(client.clientId, 'assessment')).toBe(1);
        const { rows } = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM assessment WHERE client_id = $1',
          [client.clientId],
        );
        expect(rows[0].n).toBe(1);
      },
    );

    it('refuses the key with another body (409) and does the work once for concurrent repeats', async () => {
      const client = await liveClient(10);
      const body = { mobileNumber: '+31612345001', serviceType: 'LOGIN' };
      const key = randomUUID();
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          assess(client, 'shield/assess', body, key, index % 2 === 0 ? app : other),
        ),
      );
      expect(replies.map((reply) => reply.statusCode)).toEqual(Array(6).fill(200));
      expect(new Set(replies.map((reply) => reply.body)).size).toBe(1);
      expect(await ledger(client.clientId, 'assessment')).toBe(1);
      const mismatch = await assess(
        client,
        'shield/assess',
        { ...body, serviceType: 'TRANSACTION' },
        key,
      );
      expect(mismatch.statusCode).toBe(409);
      expect(mismatch.json()).toMatchObject({
        success: false,
        messages: [{ code: 'IDEMPOTENCY_KEY_REUSED' }],
      });
      expect(await credits(client.clientId)).toBe(9);
    });

    it('stores nothing for a refusal without credit: after a top-up the same key does the work', async () => {
      const client = await liveClient(0);
      const key = randomUUID();
      const body = { mobileNumber: '+31612345001' };
      const refused = await assess(client, 'trust/score', body, key);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({
        success: false,
        messages: [{ code: 'INSUFFICIENT_BALANCE' }],
      });
      expect(await storedKeys(key)).toBe(0);
      expect((await topUp(client.clientId, { credits: 1 }, randomUUID())).statusCode).toBe(200);
      const done = await assess(client, 'trust/score', body, key);
      expect(done.statusCode).toBe(200);
      expect(replayed(done)).toBe(false);
      expect(await credits(client.clientId)).toBe(0);
      expect(await ledger(client.clientId, 'assessment')).toBe(1);
    });
  });

  describe('on a top-up (admin)', () => {
    it('credits once for concurrent repeats on two instances, and replays the balance', async () => {
      const client = await liveClient(0);
      const key = randomUUID();
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          topUp(client.clientId, { credits: 5 }, key, index % 2 === 0 ? app : other),
        ),
      );
      expect(replies.map((reply) => reply.statusCode)).toEqual(Array(6).fill(200));
      expect(new Set(replies.map((reply) => reply.body)).size).toBe(1);
      expect(replies[0].json()).toMatchObject({ clientId: client.clientId, credits: 5 });
      expect(replies.filter((reply) => !replayed(reply))).toHaveLength(1);
      expect(await credits(client.clientId)).toBe(5);
      expect(await ledger(client.clientId, 'top_up')).toBe(1);
    });

    it('answers 409 IDEMPOTENCY_KEY_IN_USE while another instance holds the key uncommitted, and runs once it rolled back', async () => {
      const client = await liveClient(0);
      const key = randomUUID();
      const holder = await database.connect();
      try {
        // Another instance's transaction that claimed the key and has not ended.
        await holder.query('BEGIN');
        await holder.query(
          "INSERT INTO idempotency_key (scope, key, request_digest, created_at, expires_at) VALUES ($1, $2, repeat('0', 64), now(), now() + interval '1 day')",
          [`admin:${admin.id}`, key],
        );
        const busy = await topUp(client.clientId, { credits: 5 }, key);
        expect(busy.statusCode).toBe(409);
        expect(busy.json()).toEqual({
          status: 409,
          code: 'IDEMPOTENCY_KEY_IN_USE',
          message: expect.any(String),
        });
        await holder.query('ROLLBACK');
      } finally {
        await holder.end();
      }
      expect(await credits(client.clientId)).toBe(0);
      const done = await topUp(client.clientId, { credits: 5 }, key);
      expect(done.statusCode).toBe(200);
      expect(replayed(done)).toBe(false);
      expect(await credits(client.clientId)).toBe(5);
    });

    it('answers another body with the key 409 in the admin (CAMARA) envelope', async () => {
      const client = await liveClient(0);
      const key = randomUUID();
      expect((await topUp(client.clientId, { credits: 5 }, key)).statusCode).toBe(200);
      const reused = await topUp(client.clientId, { credits: 50 }, key);
      expect(reused.statusCode).toBe(409);
      expect(reused.json()).toEqual({
        status: 409,
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: expect.any(String),
      });
      // The same key for another client's path is another request too.
      const elsewhere = await liveClient(0);
      expect((await topUp(elsewhere.clientId, { credits: 5 }, key)).statusCode).toBe(409);
      expect(await credits(client.clientId)).toBe(5);
      expect(await credits(elsewhere.clientId)).toBe(0);
    });
  });

  describe('on answers that hold a new secret', () => {
    it('creates a client once and replays its secrets, stored encrypted', async () => {
      const key = randomUUID();
      const create = (on: NestFastifyApplication): Promise<Reply & Headers> =>
        on.inject({
          method: 'POST',
          url: '/admin/v1/clients',
          headers: { authorization: `Bearer ${admin.key}`, 'idempotency-key': key },
          payload: { name: `Idempotent ${key}`, environment: 'SANDBOX', products: ['VERIFY'] },
        });
      const replies = await Promise.all([create(app), create(other), create(app)]);
      expect(replies.map((reply) => reply.statusCode)).toEqual([201, 201, 201]);
      expect(new Set(replies.map((reply) => reply.body)).size).toBe(1);
      const { credentials } = replies[0].json<{
        credentials: { apiKey: string; clientSecret: string; jwtSecret: string };
      }>();
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM client WHERE name = $1',
        [`Idempotent ${key}`],
      );
      expect(rows[0].n).toBe(1);
      const { rows: stored } = await db.query<{ body_sealed: string }>(
        'SELECT body_sealed FROM idempotency_response WHERE key = $1',
        [key],
      );
      expect(stored).toHaveLength(1);
      for (const secret of [credentials.apiKey, credentials.clientSecret, credentials.jwtSecret])
        expect(stored[0].body_sealed).not.toContain(secret);
      expect(stored[0].body_sealed).toMatch(/^v1\./);
    });

    it('issues a credential and an admin key once per key', async () => {
      const client = await kit.client('SANDBOX');
      const key = randomUUID();
      const issue = (): Promise<Reply & Headers> =>
        app.inject({
          method: 'POST',
          url: `/admin/v1/clients/${client.clientId}/credentials`,
          headers: { authorization: `Bearer ${admin.key}`, 'idempotency-key': key },
          payload: { kind: 'api_key' },
        });
      const [first, repeat] = [await issue(), await issue()];
      expect([first.statusCode, repeat.statusCode, replayed(repeat)]).toEqual([201, 201, true]);
      expect(repeat.body).toBe(first.body);
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM credential WHERE client_id = $1 AND kind = 'api_key'",
        [client.clientId],
      );
      expect(rows[0].n).toBe(2);

      const adminKey = (): Promise<Reply & Headers> =>
        other.inject({
          method: 'POST',
          url: '/admin/v1/admin-keys',
          headers: { authorization: `Bearer ${admin.key}`, 'idempotency-key': key },
          payload: { role: 'auditor' },
        });
      // The same key string on another route of the same caller is another request.
      expect((await adminKey()).statusCode).toBe(409);
      const fresh = randomUUID();
      const created = await Promise.all(
        [0, 1].map(() =>
          app.inject({
            method: 'POST',
            url: '/admin/v1/admin-keys',
            headers: { authorization: `Bearer ${admin.key}`, 'idempotency-key': fresh },
            payload: { role: 'auditor' },
          }),
        ),
      );
      expect(created.map((reply) => reply.statusCode)).toEqual([201, 201]);
      expect(created[0].body).toBe(created[1].body);
    });

    it('rotates an API key once (self-service) and replays the new key', async () => {
      const client = await kit.client('SANDBOX');
      const key = randomUUID();
      const rotate = (): Promise<Reply & Headers> =>
        app.inject({
          method: 'POST',
          url: '/v1/api/me/api-key/rotate',
          headers: { ...apiKeyHeaders(client), 'idempotency-key': key },
          payload: { secretKey: client.clientSecret },
        });
      const first = await rotate();
      const repeat = await rotate();
      expect([first.statusCode, repeat.statusCode]).toEqual([200, 200]);
      expect(replayed(repeat)).toBe(true);
      expect(repeat.body).toBe(first.body);
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM credential WHERE client_id = $1 AND kind = 'api_key'",
        [client.clientId],
      );
      expect(rows[0].n).toBe(2);
    });
  });
});
