import { createHmac } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
  jwtHeaders,
} from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, TEST_SECRETS, type TestDatabase } from '../support/test-database.js';
import { bearer, call, eventsByCorrelation, withOwner } from './audit-kit.js';

const PHONE = '+31612345004';
const PHONE_DIGITS = '31612345004';
const json = { 'content-type': 'application/json' };

describe('audit recording of API requests', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let adminKey: string;
  let auditorKey: string;
  let clientA: CreatedClient;
  let clientB: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' });
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
    clientA = await createTestClient(app, { name: 'Client A' });
    clientB = await createTestClient(app, { name: 'Client B' });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('writes exactly one event per request, with the right fields, for concurrent requests of mixed outcomes', async () => {
    const requests = [
      {
        url: '/admin/v1/audit/events?limit=5',
        headers: bearer(adminKey),
        status: 200,
        outcome: 'success',
        action: 'audit.events.list',
        actorType: 'admin',
      },
      {
        url: '/admin/v1/audit/events',
        headers: {},
        status: 401,
        outcome: 'failure',
        action: 'audit.events.list',
        actorType: 'anonymous',
      },
      {
        url: '/admin/v1/audit/events?limit=9999',
        headers: bearer(adminKey),
        status: 400,
        outcome: 'failure',
        action: 'audit.events.list',
        actorType: 'admin',
      },
      {
        url: '/admin/v1/audit/events/99999999',
        headers: bearer(auditorKey),
        status: 404,
        outcome: 'failure',
        action: 'audit.events.read',
        actorType: 'admin',
      },
      {
        url: '/v1/api/does-not-exist',
        headers: {},
        status: 404,
        outcome: 'failure',
        action: 'GET (unmatched)',
        actorType: 'anonymous',
      },
      {
        url: '/v1/api/me/verifications',
        headers: apiKeyHeaders(clientA),
        status: 200,
        outcome: 'success',
        action: 'portal.verifications',
        actorType: 'client',
      },
      {
        url: '/v1/api/me/verifications',
        headers: { ...apiKeyHeaders(clientA), 'x-api-key': 'wrong' },
        status: 401,
        outcome: 'failure',
        action: 'portal.verifications',
        actorType: 'anonymous',
      },
      {
        url: '/sim-swap/v2/check',
        method: 'POST' as const,
        headers: { ...json, ...jwtHeaders(clientA) },
        payload: JSON.stringify({ phoneNumber: PHONE }),
        status: 200,
        outcome: 'success',
        action: 'sim_swap.check',
        actorType: 'client',
      },
      {
        url: '/sim-swap/v2/check',
        method: 'POST' as const,
        headers: { ...json, ...jwtHeaders(clientA) },
        payload: '{"phoneNumber":',
        status: 400,
        outcome: 'failure',
        action: 'sim_swap.check',
        actorType: 'anonymous',
      },
      {
        url: '/sim-swap/v2/check',
        method: 'POST' as const,
        headers: { ...json, ...jwtHeaders(clientA) },
        payload: JSON.stringify({ phoneNumber: PHONE, pad: 'x'.repeat(70_000) }),
        status: 413,
        outcome: 'failure',
        action: 'sim_swap.check',
        actorType: 'anonymous',
      },
    ];
    const responses = await Promise.all(requests.map((request) => call(app, request)));
    const health = await call(app, { url: '/health/live' });

    expect(responses.map((response) => response.status)).toEqual(
      requests.map((request) => request.status),
    );
    const events = await eventsByCorrelation(database, [
      ...responses.map((response) => response.correlator),
      health.correlator,
    ]);
    expect(events).toHaveLength(requests.length);
    for (const [index, request] of requests.entries()) {
      const matching = events.filter(
        (event) => event.correlation_id === responses[index].correlator,
      );
      expect({ index, count: matching.length }).toEqual({ index, count: 1 });
      expect({ index, ...pick(matching[0]) }).toEqual({
        index,
        http_status: request.status,
        outcome: request.outcome,
        action: request.action,
        actor_type: request.actorType,
      });
      expect(matching[0].user_agent).toBe('audit-test/1.0');
      expect(matching[0].source_ip).toBe('127.0.0.1');
      expect(matching[0].latency_ms).toEqual(expect.any(Number));
      if (request.status >= 400) expect(matching[0].error_code).toEqual(expect.any(String));
    }

    const swap = events.find((event) => event.correlation_id === responses[7].correlator)!;
    expect(swap).toMatchObject({
      client_id: clientA.clientId,
      credential_kind: 'jwt_key',
      contract: 'camara',
      verdict: expect.objectContaining({ swapped: responses[7].json().swapped }),
      phone_masked: '+*********04',
      phone_hash: createHmac('sha256', Buffer.from(TEST_SECRETS.PHONE_HASH_PEPPER, 'base64url'))
        .update(PHONE)
        .digest('hex'),
    });
    expect(swap.credential_fingerprint).toEqual(expect.any(String));
    const adminRead = events.find((event) => event.correlation_id === responses[0].correlator)!;
    expect(adminRead).toMatchObject({
      contract: 'admin',
      credential_kind: 'admin_key',
      detail: { query: { limit: 5 } },
    });
  });

  it('keeps no plain phone number in any audit column, and finds events by the number through its hash', async () => {
    const swap = await call(app, {
      method: 'POST',
      url: '/sim-swap/v2/check',
      headers: {
        ...json,
        ...jwtHeaders(clientB),
        'x-correlator': `caller-put-${PHONE_DIGITS}-here`,
        'user-agent': `agent ${PHONE}`,
      },
      payload: JSON.stringify({ phoneNumber: PHONE }),
    });
    expect(swap.status).toBe(200);
    const search = await call(app, {
      url: `/admin/v1/audit/events?phoneNumber=${encodeURIComponent(PHONE)}&clientId=${clientB.clientId}`,
      headers: bearer(auditorKey),
    });
    expect(search.status).toBe(200);
    const items = search.json().items as { clientId: string; phoneMasked: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(
      items.every(
        (item) => item.clientId === clientB.clientId && item.phoneMasked === '+*********04',
      ),
    ).toBe(true);

    const leaks = await withOwner(
      database,
      async (client) =>
        (
          await client.query<{ id: string }>(
            "SELECT id::text AS id FROM audit_event e WHERE row_to_json(e)::text LIKE '%' || $1 || '%'",
            [PHONE_DIGITS],
          )
        ).rows,
    );
    expect(leaks).toEqual([]);
  });

  it('pages newest first with an opaque cursor and filters by verdict, outcome and correlation id', async () => {
    for (let index = 0; index < 3; index += 1) {
      await call(app, {
        method: 'POST',
        url: '/sim-swap/v2/check',
        headers: { ...json, ...jwtHeaders(clientB) },
        payload: JSON.stringify({ phoneNumber: '+31612345002', maxAge: 1 }),
      });
    }
    const first = await call(app, {
      url: `/admin/v1/audit/events?clientId=${clientB.clientId}&action=sim_swap.check&verdict=swapped:false&limit=2`,
      headers: bearer(auditorKey),
    });
    expect(first.status).toBe(200);
    const page1 = first.json() as {
      items: { id: string; occurredAt: string; verdict: { swapped: boolean } }[];
      nextCursor: string;
    };
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = await call(app, {
      url: `/admin/v1/audit/events?clientId=${clientB.clientId}&action=sim_swap.check&verdict=swapped:false&limit=2&cursor=${page1.nextCursor}`,
      headers: bearer(auditorKey),
    });
    const page2 = second.json() as {
      items: { id: string; verdict: { swapped: boolean } }[];
      nextCursor: string | null;
    };
    const ids = [...page1.items, ...page2.items].map((item) => BigInt(item.id));
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect([...ids].sort((a, b) => (a < b ? 1 : -1))).toEqual(ids);
    for (const item of [...page1.items, ...page2.items]) expect(item.verdict.swapped).toBe(false);

    const byCorrelation = await call(app, {
      url: `/admin/v1/audit/events?correlationId=${first.correlator}`,
      headers: bearer(auditorKey),
    });
    expect((byCorrelation.json().items as { action: string }[]).map((item) => item.action)).toEqual(
      ['audit.events.list'],
    );
    const one = await call(app, {
      url: `/admin/v1/audit/events/${page1.items[0].id}`,
      headers: bearer(auditorKey),
    });
    expect(one.json()).toMatchObject({ id: page1.items[0].id, verdict: { swapped: false } });
    expect(
      (
        await call(app, {
          url: '/admin/v1/audit/events?cursor=bm9wZQ',
          headers: bearer(auditorKey),
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(app, {
          url: '/admin/v1/audit/events?outcome=maybe',
          headers: bearer(auditorKey),
        })
      ).status,
    ).toBe(400);
  });

  it('reports counts, outcomes, SIM-swap positives and latency percentiles per group', async () => {
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const response = await call(app, {
      url: `/admin/v1/reports/summary?from=${from}&to=${to}&groupBy=client&clientId=${clientB.clientId}`,
      headers: bearer(auditorKey),
    });
    expect(response.status).toBe(200);
    const [group] = response.json().groups as Record<string, unknown>[];
    expect(group).toMatchObject({ key: clientB.clientId, simSwapChecks: 4, simSwapPositives: 1 });
    expect(group.total).toBe((group.successes as number) + (group.failures as number));
    expect(group.latencyP50).toEqual(expect.any(Number));
    expect(group.latencyP95).toEqual(expect.any(Number));
    for (const groupBy of ['day', 'action', 'operator']) {
      expect(
        (
          await call(app, {
            url: `/admin/v1/reports/summary?groupBy=${groupBy}`,
            headers: bearer(auditorKey),
          })
        ).status,
      ).toBe(200);
    }
  });

  it('shows a client only its own history, in the Authmatech envelope', async () => {
    const mine = await call(app, {
      url: '/v1/api/me/verifications?limit=500',
      headers: apiKeyHeaders(clientA),
    });
    expect(mine.status).toBe(200);
    const body = mine.json() as {
      success: boolean;
      messages: unknown[];
      data: { items: { correlationId: string; action: string }[] };
    };
    expect(body.success).toBe(true);
    expect(body.messages).toEqual([
      {
        type: 'SUCCESS',
        code: null,
        message: null,
        httpStatus: 'OK',
        technical: false,
        arguments: null,
      },
    ]);
    expect(body.data.items.length).toBeGreaterThan(0);
    const clientAEvents = await withOwner(database, async (client) =>
      (
        await client.query<{ correlation_id: string }>(
          "SELECT correlation_id FROM audit_event WHERE client_id = $1 AND action NOT LIKE 'portal.%'",
          [clientA.clientId],
        )
      ).rows.map((row) => row.correlation_id),
    );
    expect(body.data.items.map((item) => item.correlationId).sort()).toEqual(clientAEvents.sort());
    expect(body.data.items.every((item) => !item.action.startsWith('portal.'))).toBe(true);

    const theirs = await call(app, {
      url: '/v1/api/me/verifications?limit=500',
      headers: apiKeyHeaders(clientB),
    });
    const theirIds = (theirs.json().data as { items: { correlationId: string }[] }).items.map(
      (item) => item.correlationId,
    );
    expect(theirIds.filter((id) => id !== null && clientAEvents.includes(id))).toEqual([]);
    // No parameter widens the scope: unknown query parameters are refused.
    expect(
      (
        await call(app, {
          url: `/v1/api/me/verifications?clientId=${clientA.clientId}`,
          headers: apiKeyHeaders(clientB),
        })
      ).status,
    ).toBe(400);
    expect((await call(app, { url: '/v1/api/me/verifications' })).status).toBe(401);

    const usage = await call(app, { url: '/v1/api/me/usage', headers: apiKeyHeaders(clientB) });
    const usageData = usage.json().data as {
      total: number;
      days: { action: string; total: number }[];
    };
    expect(usageData.days.find((day) => day.action === 'sim_swap.check')?.total).toBe(4);
    expect(usageData.total).toBe(usageData.days.reduce((sum, day) => sum + day.total, 0));
  });

  it('lets an auditor key read and export but change nothing; the database refuses changes to audit rows', async () => {
    expect(
      (await call(app, { url: '/admin/v1/audit/events', headers: bearer(auditorKey) })).status,
    ).toBe(200);
    expect(
      (await call(app, { url: '/admin/v1/audit/integrity', headers: bearer(auditorKey) })).json(),
    ).toMatchObject({ ok: true, firstBroken: null });
    expect(
      (
        await call(app, {
          url: '/admin/v1/audit/export?format=ndjson',
          headers: bearer(auditorKey),
        })
      ).status,
    ).toBe(200);
    const create = await call(app, {
      method: 'POST',
      url: '/admin/v1/clients',
      headers: { ...json, ...bearer(auditorKey) },
      payload: JSON.stringify({ name: 'x', environment: 'SANDBOX', products: ['VERIFY'] }),
    });
    expect(create.status).toBe(403);
    expect(
      (
        await call(app, {
          method: 'DELETE',
          url: '/admin/v1/audit/events/1',
          headers: bearer(auditorKey),
        })
      ).status,
    ).toBe(405);

    await withOwner(database, async (client) => {
      // The owner: the trigger rejects row changes and truncation.
      await expect(client.query("UPDATE audit_event SET outcome = 'success'")).rejects.toThrow(
        /append-only/,
      );
      await expect(client.query('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
      await expect(client.query('TRUNCATE audit_event')).rejects.toThrow(/append-only/);
      const partition = (
        await client.query<{ name: string }>(
          'SELECT tableoid::regclass::text AS name FROM audit_event LIMIT 1',
        )
      ).rows[0].name;
      await expect(client.query(`TRUNCATE ${partition}`)).rejects.toThrow(/append-only/);
      // The application role: no privilege to change, only to read and append.
      await client.query('BEGIN');
      try {
        await client.query('SET LOCAL ROLE mig_app');
        await client.query('SELECT count(*) FROM audit_event');
        await client.query('SAVEPOINT s');
        for (const statement of [
          "UPDATE audit_event SET outcome = 'success'",
          'DELETE FROM audit_event',
          'TRUNCATE audit_event',
          `DELETE FROM ${partition}`,
        ]) {
          await expect(client.query(statement)).rejects.toThrow(/permission denied/);
          await client.query('ROLLBACK TO SAVEPOINT s');
        }
      } finally {
        await client.query('ROLLBACK');
      }
    });
  });
});

function pick(event: {
  http_status: number | null;
  outcome: string;
  action: string;
  actor_type: string;
}): Record<string, unknown> {
  return {
    http_status: event.http_status,
    outcome: event.outcome,
    action: event.action,
    actor_type: event.actor_type,
  };
}
