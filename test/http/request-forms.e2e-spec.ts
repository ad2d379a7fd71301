import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Contract } from '../../src/common/errors/api-error.js';
import { RouteFactsRegistry } from '../../src/common/http/route-facts.js';
import { RouteTable } from '../../src/common/http/route-table.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';
import { withOwner } from '../audit/audit-kit.js';
import {
  createSwapClient,
  PinnedClock,
  signJwt,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import { listenOnLoopback, rawRequest, type RawResponse } from '../support/raw-http.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');

const PARAMS: Record<string, string> = {
  transactionId: '3f0b8a52-9a57-4c55-9d7e-5b7e2b1f0a11',
  phoneNumber: '+31612345002',
  operatorId: 'ZAIN_JO',
};

/** A concrete path for a route pattern (`:name` parameters and a `*` wildcard filled in). */
function concrete(pattern: string): string {
  return pattern
    .replace(/:(\w+)/g, (_, name: string) => PARAMS[name] ?? `probe${name}`)
    .replace(/\*$/, 'probe');
}

/** The first character of every segment percent-encoded: `/v1/api` → `/%761/%61pi`. */
function percentEncoded(path: string): string {
  return path.replace(
    /\/([^/])/g,
    (_, first: string) => `/%${first.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** The request targets that name the same route: the router must treat them all as `path`. */
function formsOf(path: string): [string, string][] {
  return [
    ['origin form', path],
    ['absolute form', `http://x${path}`],
    ['percent-encoded', percentEncoded(path)],
    ['duplicate slashes', path.replace(/\//g, '//')],
    ['all at once', `http://x${percentEncoded(path).replace(/\//g, '//')}`],
  ];
}

/** The contract's error envelope. */
function envelope(contract: Contract, status: number): Record<string, unknown> {
  switch (contract) {
    case 'authmatech':
      return {
        success: false,
        messages: [
          expect.objectContaining({
            type: 'FAILURE',
            code: expect.any(String),
            httpStatus: expect.any(String),
          }),
        ],
        data: null,
      };
    case 'identity_match':
      return { state: 'error', code: expect.any(String), message: expect.any(String) };
    case 'camara':
    case 'admin':
      return { status, code: expect.any(String), message: expect.any(String) };
  }
}

interface Sent {
  route: string;
  form: string;
  correlator: string;
  response: RawResponse;
}

async function eventsPerCorrelator(
  database: TestDatabase,
  correlators: string[],
): Promise<Map<string, { count: number; contract: string; action: string; status: number }>> {
  const rows = await withOwner(
    database,
    async (client) =>
      (
        await client.query<{
          correlation_id: string;
          count: number;
          contract: string;
          action: string;
          status: number;
        }>(
          `SELECT correlation_id, count(*)::int AS count, min(contract) AS contract, min(action) AS action, min(http_status) AS status
       FROM audit_event WHERE correlation_id = ANY($1) GROUP BY correlation_id`,
          [correlators],
        )
      ).rows,
  );
  return new Map(rows.map((row) => [row.correlation_id, row]));
}

describeOnPostgres('every request form reaches its route, its audit event and its limits', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let server: { host: string; port: number };
  const clock = new PinnedClock(NOW);

  beforeAll(async () => {
    database = await createTestDatabase();
    // Every request individually, none throttled: the failed-auth limiter and roll-ups are off here
    // (the last test turns the limiter on to show that every form counts against it).
    app = await startSimSwapApp(database, {
      clock,
      environment: { AUTH_FAILURE_LIMIT_PER_MINUTE: '0', AUDIT_ROLLUP_AFTER: '0' },
    });
    server = await listenOnLoopback(app);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const send = (
    method: string,
    target: string,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> =>
    rawRequest(server, {
      method,
      target,
      headers,
      ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: '{}' } : {}),
    });

  it('answers every registered route alike in every form, in its envelope, with exactly one audit event each', async () => {
    const routes = app.get(RouteTable).list();
    const facts = app.get(RouteFactsRegistry);
    expect(routes.length).toBeGreaterThan(50);
    const sent: Sent[] = [];
    for (const { method, url } of routes) {
      for (const [form, target] of formsOf(concrete(url))) {
        const correlator = `forms-${randomUUID()}`;
        sent.push({
          route: `${method} ${url}`,
          form,
          correlator,
          response: await send(method, target, { 'x-correlator': correlator }),
        });
      }
    }
    const events = await eventsPerCorrelator(
      database,
      sent.map((one) => one.correlator),
    );

    const problems: string[] = [];
    for (const { route, form, correlator, response } of sent) {
      const [method, url] = route.split(' ');
      const routeFacts = facts.forRoute(method, url);
      const origin = sent.find(
        (one) => one.route === route && one.form === 'origin form',
      )!.response;
      const event = events.get(correlator);
      const where = `${route} (${form}: ${response.status})`;
      if (response.status !== origin.status)
        problems.push(`${where}: status differs from origin form's ${origin.status}`);
      if (response.headers['x-correlator'] !== correlator)
        problems.push(`${where}: x-correlator not echoed`);
      if (!routeFacts.audited) {
        if (event) problems.push(`${where}: an unaudited route left an audit event`);
        continue;
      }
      if (event?.count !== 1)
        problems.push(`${where}: ${event?.count ?? 0} audit events instead of 1`);
      else if (event.contract !== routeFacts.contract || event.status !== response.status)
        problems.push(`${where}: audit event ${JSON.stringify(event)}`);
      if (response.status >= 400) {
        try {
          expect(response.json()).toEqual(envelope(routeFacts.contract, response.status));
        } catch {
          problems.push(
            `${where}: not in the ${routeFacts.contract} envelope: ${response.body.slice(0, 200)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    // The probe reached the guarded routes: most of them refused the anonymous caller.
    expect(sent.filter((one) => one.response.status === 401).length).toBeGreaterThan(
      sent.length / 2,
    );
  }, 120_000);

  it('answers a trailing slash on a route with 404, not a 405 that allows the very method used', async () => {
    const response = await send('POST', 'http://x/v1/api/verify/', {
      'x-correlator': `forms-${randomUUID()}`,
    });
    expect(response.status).toBe(404);
    expect(response.json()).toEqual(envelope('authmatech', 404));
  });

  describe('rate limits', () => {
    let client: SwapClient;

    beforeAll(async () => {
      client = await createSwapClient(app, ['SIM_SWAP', 'DEVICE_SWAP']);
    });

    const askIdentityMatch = async (target: string) => {
      const correlator = `forms-limit-${randomUUID()}`;
      const response = await rawRequest(server, {
        method: 'POST',
        target,
        headers: {
          'x-correlator': correlator,
          authorization: `Bearer ${signJwt(client, clock.now())}`,
        },
        body: JSON.stringify({ phoneNumber: '+31612345002', serviceType: '24h' }),
      });
      return { correlator, response };
    };

    it('counts every form against the Identity Match limit of 1 request/s per key', async () => {
      const path = '/mobile-identity/v1/sim-swap';
      const results: { form: string; correlator: string; response: RawResponse }[] = [];
      let second = 100;
      for (const [form, target] of formsOf(path)) {
        // A new second: this form's request is the first of it and must pass; every other form then
        // comes in the same second and must be refused.
        clock.set(new Date(NOW.getTime() + second++ * 1000));
        const first = await askIdentityMatch(target);
        expect({ form, status: first.response.status }).toEqual({ form, status: 200 });
        results.push({ form, ...first });
        for (const [other, otherTarget] of formsOf(path)) {
          const limited = await askIdentityMatch(otherTarget);
          expect({ form, other, status: limited.response.status }).toEqual({
            form,
            other,
            status: 429,
          });
          expect(limited.response.json()).toEqual({
            state: 'error',
            code: 'TOO_MANY_REQUESTS',
            message: expect.any(String),
          });
          results.push({ form: other, ...limited });
        }
      }
      const events = await eventsPerCorrelator(
        database,
        results.map((one) => one.correlator),
      );
      for (const { correlator, response } of results) {
        expect(events.get(correlator)).toMatchObject({
          count: 1,
          contract: 'identity_match',
          status: response.status,
        });
      }
    });

    it("counts every form against an Authmatech client's per-minute limit", async () => {
      const created = await app.get(ClientManagementService).createClient({
        name: `forms-${randomUUID()}`,
        environment: 'SANDBOX',
        products: ['VERIFY'],
        rateLimitPerMinute: 1,
      });
      const headers = { 'x-api-key': created.apiKey, 'x-client-id': created.clientId };
      const statuses: number[] = [];
      clock.set(new Date(NOW.getTime() + 3_600_000));
      for (const [, target] of formsOf('/v1/api/me/products')) {
        statuses.push(
          (await send('GET', target, { ...headers, 'x-correlator': `forms-${randomUUID()}` }))
            .status,
        );
      }
      expect(statuses).toEqual([200, 429, 429, 429, 429]);
      clock.set(new Date(NOW.getTime() + 7_200_000));
      const [, absolute] = formsOf('/v1/api/me/products')[1];
      expect((await send('GET', absolute, headers)).status).toBe(200);
      expect((await send('GET', '/v1/api/me/products', headers)).status).toBe(429);
    });

    it('counts every form against the per-source limit of failed authentications', async () => {
      const limited = await startSimSwapApp(database, {
        clock,
        environment: { AUTH_FAILURE_LIMIT_PER_MINUTE: '2', AUDIT_ROLLUP_AFTER: '0' },
      });
      try {
        const limitedServer = await listenOnLoopback(limited);
        clock.set(new Date(NOW.getTime() + 10_800_000));
        const statuses: number[] = [];
        for (const [, target] of formsOf('/sim-swap/v2/check')) {
          statuses.push(
            (
              await rawRequest(limitedServer, {
                method: 'POST',
                target,
                headers: { authorization: 'Bearer not-a-token' },
                body: '{}',
              })
            ).status,
          );
        }
        expect(statuses).toEqual([401, 401, 429, 429, 429]);
      } finally {
        await limited.close();
      }
    });
  });
});
