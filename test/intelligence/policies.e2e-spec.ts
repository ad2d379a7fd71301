import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import type { Signals } from '../../src/modules/intelligence/intelligence-signals.js';
import { apiKeyHeaders, createTestAdminKey } from '../support/credentials-factory.js';
import { createTestDatabase, itOnPostgres, type TestDatabase } from '../support/test-database.js';
import { PinnedClock, startSimSwapApp } from '../sim-swap/sim-swap-test-kit.js';
import { IntelligenceKit } from './intelligence-kit.js';

const START = new Date(Math.floor(Date.now() / 1000) * 1000);
const HOUR = 3_600_000;

/** Neutral signals: a SIM unchanged for 400 days, nothing else known. */
function signals(overrides: Partial<Signals> = {}): Signals {
  return {
    serviceType: 'TRANSACTION',
    simSwap: { known: true, ageSeconds: 400 * 86_400 },
    deviceSwap: { known: true, ageSeconds: 400 * 86_400 },
    silent: { session: false, successAgeSeconds: null, failureAgeSeconds: null },
    device: {
      given: false,
      seenWithNumber: false,
      numberHasHistory: false,
      sessionMismatch: false,
      numbersOnDevice: [0, 0, 0],
      devicesOnNumber: [0, 0, 0],
    },
    operator: { current: null, previous: null },
    network: {
      countryCode: null,
      numberCountry: 'NL',
      previousCountry: null,
      connectionType: null,
      vpn: null,
      proxy: null,
    },
    integrity: { rooted: null, emulator: null, appIntegrity: null },
    velocity: {
      number: [1, 1, 1],
      device: [0, 0, 0],
      ip: [0, 0, 0],
      verifies: [0, 0, 0],
      failures: [0, 0, 0],
    },
    ...overrides,
  };
}

describe('intelligence policies and backtests', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: IntelligenceKit;
  let alice: CreatedClient;
  let bob: CreatedClient;
  let adminKey: string;
  let auditorKey: string;
  const clock = new PinnedClock(START);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, { clock });
    kit = new IntelligenceKit(app);
    alice = await kit.client();
    bob = await kit.client();
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const admin = async (
    method: 'GET' | 'PUT' | 'POST',
    url: string,
    payload?: unknown,
    key = adminKey,
  ) => {
    const correlationId = `policy-${Math.random().toString(36).slice(2)}`;
    const reply = await app.inject({
      method,
      url: `/admin/v1/clients/${url}`,
      headers: { authorization: `Bearer ${key}`, 'x-correlator': correlationId },
      payload: payload as Record<string, unknown>,
    });
    return Object.assign(reply, { correlationId });
  };

  describe('versions through the admin API', () => {
    it('serves the documented defaults as version 0 for every service type', async () => {
      const reply = await admin(
        'GET',
        `${alice.clientId}/intelligence/policies`,
        undefined,
        auditorKey,
      );
      expect(reply.statusCode).toBe(200);
      const items = Object.values(
        reply.json<
          Record<
            string,
            {
              serviceType: string;
              version: number;
              policy: { simSwapFailMode: string; hardRules: { id: string; decision: string }[] };
            }
          >
        >(),
      );
      expect(
        items.map((item) => `${item.serviceType}:${item.version}:${item.policy.simSwapFailMode}`),
      ).toEqual([
        'REGISTRATION:0:open',
        'LOGIN:0:open',
        'RESET_PASS:0:closed',
        'UPDATE_DETAILS:0:closed',
        'TRANSACTION:0:closed',
      ]);
      expect(items[4].policy.hardRules[0]).toEqual({
        id: 'sim_swap_recent',
        factors: ['sim_swap_recent'],
        decision: 'BLOCK',
      });
    });

    it("stores each change as the next version, applies it at once, records it in the trail, and leaves other clients' policies alone", async () => {
      const first = await admin('PUT', `${alice.clientId}/intelligence/policies/TRANSACTION`, {
        thresholds: { block: 95 },
      });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({
        serviceType: 'TRANSACTION',
        version: 1,
        policy: { thresholds: { challenge: 40, review: 60, block: 95 } },
        createdBy: expect.stringMatching(/^admin:/),
      });
      const second = await admin('PUT', `${alice.clientId}/intelligence/policies/TRANSACTION`, {
        hardRules: [],
        thresholds: { challenge: 101, review: 101, block: 101 },
      });
      expect(second.json<{ version: number }>().version).toBe(2);
      const events = await kit.auditOf(second.correlationId);
      expect(events).toEqual([
        expect.objectContaining({
          action: 'intelligence.policy.change',
          http_status: 200,
          detail: { clientId: alice.clientId, serviceType: 'TRANSACTION', version: 2 },
        }),
      ]);

      // No hard rule and no threshold left: the SIM swapped 30 minutes ago no longer blocks.
      const reply = await kit.assess(alice, 'shield', {
        mobileNumber: '+31612345001',
        serviceType: 'TRANSACTION',
      });
      expect(reply.json<{ data: { decision: string } }>().data.decision).toBe('ALLOW');
      expect((await kit.auditOf(reply.correlationId))[0].verdict).toMatchObject({
        decision: 'ALLOW',
        policyVersion: 2,
        rules: [],
      });
      expect(
        (await kit.shield(bob, { mobileNumber: '+31612345001', serviceType: 'TRANSACTION' }))
          .decision,
      ).toBe('BLOCK');

      const mine = await app.inject({
        method: 'GET',
        url: '/v1/api/me/intelligence/policies',
        headers: apiKeyHeaders(bob),
      });
      expect(
        Object.values(mine.json<{ data: Record<string, { version: number }> }>().data).map(
          (item) => item.version,
        ),
      ).toEqual([0, 0, 0, 0, 0]);
      const hers = await app.inject({
        method: 'GET',
        url: '/v1/api/me/intelligence/policies',
        headers: apiKeyHeaders(alice),
      });
      expect(
        hers.json<{ data: Record<string, { version: number }> }>().data.TRANSACTION.version,
      ).toBe(2);
    });

    it('refuses out-of-order thresholds, unknown factor codes, an auditor key and an unknown client', async () => {
      const disordered = await admin('PUT', `${alice.clientId}/intelligence/policies/LOGIN`, {
        thresholds: { challenge: 70, review: 60 },
      });
      expect(disordered.statusCode).toBe(400);
      expect(disordered.json()).toMatchObject({ code: 'INVALID_POLICY' });
      expect(
        (
          await admin('PUT', `${alice.clientId}/intelligence/policies/LOGIN`, {
            weights: { no_such_factor: 5 },
          })
        ).statusCode,
      ).toBe(400);
      expect(
        (
          await admin('PUT', `${alice.clientId}/intelligence/policies/LOGIN`, {
            hardRules: [{ id: 'x', factors: ['no_such_factor'], decision: 'BLOCK' }],
          })
        ).statusCode,
      ).toBe(400);
      expect(
        (
          await admin(
            'PUT',
            `${alice.clientId}/intelligence/policies/LOGIN`,
            { base: 10 },
            auditorKey,
          )
        ).statusCode,
      ).toBe(403);
      expect(
        (await admin('PUT', 'cli_nobody/intelligence/policies/LOGIN', { base: 10 })).statusCode,
      ).toBe(404);
      const unchanged = await admin('GET', `${alice.clientId}/intelligence/policies`);
      expect(unchanged.json<Record<string, { version: number }>>().LOGIN.version).toBe(0);
    });
  });

  describe('backtest', () => {
    let db: pg.Client;
    const windowFrom = new Date(START.getTime() - 48 * HOUR);
    const windowTo = new Date(START.getTime() - 24 * HOUR);

    beforeAll(async () => {
      db = await database.connect();
    });

    afterAll(async () => {
      await db?.end();
    });

    /** Seeds `count` assessments answered `decision` from `stored` signals, spread over [from, from + 1 h). */
    async function seed(
      clientId: string,
      count: number,
      decision: string,
      stored: Signals,
      options: { from?: Date; serviceType?: string; product?: string } = {},
    ): Promise<void> {
      await db.query(
        `INSERT INTO assessment (id, transaction_id, client_id, product, service_type, phone_hash, signals, factors, score, decision, policy_version, created_at)
         SELECT gen_random_uuid(), $6 || '-' || gen_random_uuid(), $1, $7::assessment_product, $5, md5(i::text) || md5(i::text), $2::jsonb, ARRAY[]::text[], 0, $3, 0,
                $4::timestamptz + (i * interval '1 millisecond')
           FROM generate_series(1, $8::int) AS i`,
        [
          clientId,
          JSON.stringify(stored),
          decision,
          (options.from ?? windowFrom).toISOString(),
          options.serviceType ?? 'TRANSACTION',
          'SH',
          options.product ?? 'shield',
          count,
        ],
      );
    }

    it('replays a seeded history exactly: counts per current × draft decision and example ids', async () => {
      const carol = await kit.client();
      await seed(carol.clientId, 700, 'ALLOW', signals());
      await seed(
        carol.clientId,
        200,
        'CHALLENGE',
        signals({ simSwap: { known: true, ageSeconds: 3 * 86_400 } }),
      );
      await seed(
        carol.clientId,
        100,
        'BLOCK',
        signals({ simSwap: { known: true, ageSeconds: 3_600 } }),
      );
      // Outside the window, another journey, another product, another client: never replayed.
      await seed(carol.clientId, 50, 'ALLOW', signals(), {
        from: new Date(windowTo.getTime() + HOUR),
      });
      await seed(carol.clientId, 40, 'ALLOW', signals(), { serviceType: 'LOGIN' });
      await seed(carol.clientId, 30, 'ALLOW', signals(), { product: 'trust' });
      await seed(alice.clientId, 20, 'ALLOW', signals());

      const draft = { weights: { sim_swap_week: 60 } };
      const request = {
        from: windowFrom.toISOString(),
        to: windowTo.toISOString(),
        serviceType: 'TRANSACTION',
        draft,
      };
      const reply = await app.inject({
        method: 'POST',
        url: '/v1/api/me/intelligence/backtest',
        headers: apiKeyHeaders(carol),
        payload: request,
      });
      expect(reply.statusCode).toBe(200);
      const result = reply.json<{
        data: {
          total: number;
          changed: number;
          currentVersions: number[];
          matrix: { current: string; draft: string; count: number; examples: string[] }[];
        };
      }>().data;
      expect(result.total).toBe(1_000);
      expect(result.changed).toBe(200);
      expect(result.currentVersions).toEqual([0]);
      expect(
        result.matrix.map(({ current, draft: after, count }) => ({ current, draft: after, count })),
      ).toEqual([
        { current: 'ALLOW', draft: 'ALLOW', count: 700 },
        { current: 'CHALLENGE', draft: 'BLOCK', count: 200 },
        { current: 'BLOCK', draft: 'BLOCK', count: 100 },
      ]);
      const examples = result.matrix[1].examples;
      expect(examples).toHaveLength(5);
      const stored = await db.query<{ transaction_id: string }>(
        `SELECT transaction_id FROM assessment WHERE client_id = $1 AND decision = 'CHALLENGE' ORDER BY created_at LIMIT 5`,
        [carol.clientId],
      );
      expect(examples).toEqual(stored.rows.map((row) => row.transaction_id));

      // The same replay through the admin API; a draft equal to the defaults changes nothing.
      const same = await admin('POST', `${carol.clientId}/intelligence/backtest`, {
        ...request,
        draft: {},
      });
      expect(same.json<{ changed: number; total: number }>()).toMatchObject({
        total: 1_000,
        changed: 0,
      });
    });

    it('replays the answers of the live path: under the default draft every decision is reproduced', async () => {
      const dave = await kit.client();
      clock.set(new Date(START.getTime() + HOUR));
      const answered: string[] = [];
      for (const mobileNumber of [
        '+31612345001',
        '+31612345002',
        '+31612345004',
        '+31612345006',
        '+31612345007',
        '+31612345008',
      ]) {
        answered.push(
          (
            await kit.shield(dave, {
              mobileNumber,
              serviceType: 'TRANSACTION',
              network: { countryCode: 'NL', connectionType: 'CELLULAR' },
            })
          ).decision,
        );
      }
      const reply = await app.inject({
        method: 'POST',
        url: '/v1/api/me/intelligence/backtest',
        headers: apiKeyHeaders(dave),
        payload: {
          from: START.toISOString(),
          to: new Date(START.getTime() + 2 * HOUR).toISOString(),
          serviceType: 'TRANSACTION',
          draft: {},
        },
      });
      const result = reply.json<{
        data: {
          total: number;
          changed: number;
          matrix: { current: string; draft: string; count: number }[];
        };
      }>().data;
      expect(result.total).toBe(6);
      expect(result.changed).toBe(0);
      const counts = new Map<string, number>();
      for (const decision of answered) counts.set(decision, (counts.get(decision) ?? 0) + 1);
      expect(Object.fromEntries(result.matrix.map((cell) => [cell.current, cell.count]))).toEqual(
        Object.fromEntries(counts),
      );
    });

    itOnPostgres(
      'runs past REQUEST_DEADLINE_MS: a backtest has a deadline of its own (60 s)',
      async () => {
        // A second instance whose requests must answer within 100 ms; replaying 60,000 assessments takes longer.
        const strict = await startSimSwapApp(database, {
          clock,
          environment: { REQUEST_DEADLINE_MS: '100' },
        });
        try {
          const erin = await kit.client();
          await seed(erin.clientId, 60_000, 'ALLOW', signals());
          const started = performance.now();
          const reply = await strict.inject({
            method: 'POST',
            url: '/v1/api/me/intelligence/backtest',
            headers: apiKeyHeaders(erin),
            payload: {
              from: windowFrom.toISOString(),
              to: windowTo.toISOString(),
              serviceType: 'TRANSACTION',
              draft: { weights: { sim_swap_week: 60 } },
            },
          });
          const elapsed = performance.now() - started;
          expect(reply.statusCode).toBe(200);
          expect(reply.json<{ data: { total: number } }>().data.total).toBe(60_000);
          // Meaningful only if the replay outlived the ordinary deadline it was exempt from.
          expect(elapsed).toBeGreaterThan(100);
        } finally {
          await strict.close();
        }
      },
    );

    it('refuses a window that is empty or longer than 93 days', async () => {
      for (const [from, to] of [
        [windowTo, windowFrom],
        [new Date(windowTo.getTime() - 94 * 24 * HOUR), windowTo],
      ]) {
        const reply = await app.inject({
          method: 'POST',
          url: '/v1/api/me/intelligence/backtest',
          headers: apiKeyHeaders(alice),
          payload: {
            from: from.toISOString(),
            to: to.toISOString(),
            serviceType: 'LOGIN',
            draft: {},
          },
        });
        expect(reply.statusCode).toBe(400);
        expect(reply.json()).toMatchObject({
          success: false,
          messages: [{ code: 'INVALID_RANGE' }],
        });
      }
    });
  });
});
