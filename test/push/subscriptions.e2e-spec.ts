import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  auditEventOf,
  createSwapClient,
  PinnedClock,
  signJwt,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import { callAs, DEVICE_PATH, SIM_ENDED, SIM_PATH, subscriptionRequest } from './push-test-kit.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';

const SINK = 'https://receiver.example/hooks/sim-swap';
const NUMBER = '+31612345002';
const camaraError = (status: number, code: string) => ({
  status,
  code,
  message: expect.any(String),
});

describe('CAMARA SIM Swap Subscriptions', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let alice: SwapClient;
  let bob: SwapClient;
  let simOnly: SwapClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, {
      environment: { PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1' },
    });
    alice = await createSwapClient(app, ['SIM_SWAP', 'DEVICE_SWAP'], 'alice');
    bob = await createSwapClient(app, ['SIM_SWAP', 'DEVICE_SWAP'], 'bob');
    simOnly = await createSwapClient(app, ['SIM_SWAP'], 'sim only');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const sql = <T>(query: string, ...values: unknown[]) =>
    app.get(PrismaService).client.$queryRawUnsafe<T[]>(query, ...values);

  describe('create', () => {
    it('answers 201 with the CAMARA Subscription, ACTIVE for a sandbox number, never echoing the sink credential', async () => {
      const answer = await callAs(
        app,
        alice,
        'POST',
        SIM_PATH,
        subscriptionRequest(SINK, NUMBER, {}, { subscriptionMaxEvents: 3 }),
      );
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        protocol: 'HTTP',
        sink: SINK,
        types: ['org.camaraproject.sim-swap-subscriptions.v0.swapped'],
        config: { subscriptionDetail: { phoneNumber: NUMBER }, subscriptionMaxEvents: 3 },
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        startsAt: expect.any(String),
        status: 'ACTIVE',
      });
      expect(JSON.stringify(answer.body)).not.toContain('sink-token');
      const [event] = await auditEventOf(app, answer.correlator);
      expect(event).toMatchObject({
        action: 'sim_swap_subscription.create',
        http_status: 201,
        outcome: 'success',
        phone_masked: '+*********02',
      });
      expect(event.verdict).toEqual({
        subscriptionId: (answer.body as { id: string }).id,
        status: 'ACTIVE',
      });
    });

    it('stores the number hashed, masked and sealed, and the access token sealed: neither in clear', async () => {
      const rows = await sql<Record<string, unknown>>('SELECT * FROM push_subscription');
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain('sink-token-not-a-secret');
      expect(dump).not.toContain('31612345002');
    });

    it('answers 409 ALREADY_EXISTS for a second live subscription to the same number and sink, and records it', async () => {
      const answer = await callAs(app, alice, 'POST', SIM_PATH, subscriptionRequest(SINK, NUMBER));
      expect(answer.status).toBe(409);
      expect(answer.body).toEqual(camaraError(409, 'ALREADY_EXISTS'));
      const [event] = await auditEventOf(app, answer.correlator);
      expect(event).toMatchObject({
        http_status: 409,
        error_code: 'ALREADY_EXISTS',
        outcome: 'failure',
      });
    });

    it.each([
      [
        'a protocol other than HTTP',
        subscriptionRequest(SINK, NUMBER, { protocol: 'MQTT5' }),
        400,
        'INVALID_PROTOCOL',
      ],
      [
        'a credential other than an access token',
        subscriptionRequest(SINK, NUMBER, {
          sinkCredential: { credentialType: 'PLAIN', identifier: 'x', secret: 'y' },
        }),
        400,
        'INVALID_CREDENTIAL',
      ],
      [
        'a token type other than bearer',
        subscriptionRequest(SINK, NUMBER, {
          sinkCredential: {
            credentialType: 'ACCESSTOKEN',
            accessToken: 'abc',
            accessTokenExpiresUtc: '2099-01-01T00:00:00Z',
            accessTokenType: 'mac',
          },
        }),
        400,
        'INVALID_TOKEN',
      ],
      [
        'a plain http sink',
        subscriptionRequest('http://receiver.example/hook', NUMBER),
        400,
        'INVALID_SINK',
      ],
      ['a sink that is no URL', subscriptionRequest('not a url', NUMBER), 400, 'INVALID_SINK'],
      [
        'a sink on a private address',
        subscriptionRequest('https://10.1.2.3/hook', NUMBER),
        400,
        'INVALID_SINK',
      ],
      [
        'a sink on the cloud metadata address',
        subscriptionRequest('https://169.254.169.254/latest', NUMBER),
        400,
        'INVALID_SINK',
      ],
      [
        'a sink on an IPv4-mapped loopback address',
        subscriptionRequest('https://[::ffff:127.0.0.2]/hook', NUMBER),
        400,
        'INVALID_SINK',
      ],
      [
        'another event type',
        subscriptionRequest(SINK, NUMBER, { types: ['org.camaraproject.other.v0.event'] }),
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'an expiry in the past',
        subscriptionRequest(SINK, NUMBER, {}, { subscriptionExpireTime: '2020-01-01T00:00:00Z' }),
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'no phone number (two-legged token)',
        subscriptionRequest(SINK, undefined),
        422,
        'MISSING_IDENTIFIER',
      ],
      [
        'a number no operator serves',
        subscriptionRequest(SINK, '+999123456789'),
        404,
        'IDENTIFIER_NOT_FOUND',
      ],
    ])('refuses %s', async (_name, body, status, code) => {
      const answer = await callAs(app, alice, 'POST', SIM_PATH, body);
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual(camaraError(status, code));
      const [event] = await auditEventOf(app, answer.correlator);
      expect(event).toMatchObject({ http_status: status, error_code: code });
    });

    it('accepts a plain http sink on an allowed loopback host outside production (local testing)', async () => {
      const answer = await callAs(
        app,
        alice,
        'POST',
        SIM_PATH,
        subscriptionRequest('http://127.0.0.1:9/hook', NUMBER),
      );
      expect(answer.status).toBe(201);
    });

    it('accepts a plain http localhost sink outside production although no allowed host names it', async () => {
      const answer = await callAs(
        app,
        alice,
        'POST',
        SIM_PATH,
        subscriptionRequest('http://localhost:9/hook', NUMBER),
      );
      expect(answer.status).toBe(201);
    });

    it('answers 403 PERMISSION_DENIED on the device-swap extension to a client without DEVICE_SWAP', async () => {
      const body = {
        ...subscriptionRequest(SINK, NUMBER),
        types: ['org.camaraproject.device-swap-subscriptions.v0.swapped'],
      };
      expect((await callAs(app, simOnly, 'POST', DEVICE_PATH, body)).status).toBe(403);
      const created = await callAs(app, alice, 'POST', DEVICE_PATH, body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        types: ['org.camaraproject.device-swap-subscriptions.v0.swapped'],
        status: 'ACTIVE',
      });
    });

    it('answers 401 UNAUTHENTICATED without a token', async () => {
      const response = await app.inject({ method: 'GET', url: SIM_PATH });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(camaraError(401, 'UNAUTHENTICATED'));
    });
  });

  describe('read, list and delete', () => {
    it('lists, reads and deletes its own subscription: DELETED, with subscription-ended in the outbox of the same transaction', async () => {
      const created = await callAs(
        app,
        alice,
        'POST',
        SIM_PATH,
        subscriptionRequest('https://other.example/hook', NUMBER),
      );
      const id = (created.body as { id: string }).id;
      const list = await callAs(app, alice, 'GET', SIM_PATH);
      expect(list.status).toBe(200);
      expect((list.body as { id: string }[]).map((item) => item.id)).toContain(id);
      expect((await callAs(app, alice, 'GET', `${SIM_PATH}/${id}`)).body).toMatchObject({
        id,
        status: 'ACTIVE',
      });

      const deleted = await callAs(app, alice, 'DELETE', `${SIM_PATH}/${id}`);
      expect(deleted.status).toBe(204);
      const [event] = await auditEventOf(app, deleted.correlator);
      expect(event).toMatchObject({ action: 'sim_swap_subscription.delete', http_status: 204 });
      expect((await callAs(app, alice, 'GET', `${SIM_PATH}/${id}`)).body).toMatchObject({
        id,
        status: 'DELETED',
      });
      const outbox = await sql<{ type: string; termination_reason: string; status: string }>(
        'SELECT type, termination_reason, status::text FROM push_delivery WHERE subscription_id = $1::uuid',
        id,
      );
      expect(outbox).toEqual([
        { type: SIM_ENDED, termination_reason: 'SUBSCRIPTION_DELETED', status: 'pending' },
      ]);
      expect((await callAs(app, alice, 'DELETE', `${SIM_PATH}/${id}`)).body).toEqual(
        camaraError(404, 'NOT_FOUND'),
      );
    });

    it('answers 404 NOT_FOUND for an unknown or malformed id', async () => {
      expect(
        (await callAs(app, alice, 'GET', `${SIM_PATH}/00000000-0000-4000-8000-000000000000`)).body,
      ).toEqual(camaraError(404, 'NOT_FOUND'));
      expect((await callAs(app, alice, 'GET', `${SIM_PATH}/nope`)).status).toBe(404);
    });
  });

  describe('local sinks by environment', () => {
    const localSinks = ['http://127.0.0.1:9/local', 'http://localhost:9/local'];

    it.each(localSinks)(
      'accepts %s by default outside production (no PUSH_SINK_ALLOWED_HOSTS)',
      async (sink) => {
        const development = await startSimSwapApp(database, {
          environment: { NODE_ENV: 'development' },
        });
        try {
          const client = await createSwapClient(development);
          expect(
            (await callAs(development, client, 'POST', SIM_PATH, subscriptionRequest(sink, NUMBER)))
              .status,
          ).toBe(201);
        } finally {
          await development.close();
        }
      },
    );

    it('refuses them in production with INVALID_SINK, even when PUSH_SINK_ALLOWED_HOSTS lists them', async () => {
      const production = await startSimSwapApp(database, {
        environment: { NODE_ENV: 'production', PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1,localhost' },
      });
      try {
        const client = await createSwapClient(production);
        for (const sink of localSinks) {
          const answer = await callAs(
            production,
            client,
            'POST',
            SIM_PATH,
            subscriptionRequest(sink, NUMBER),
          );
          expect([sink, answer.status, answer.body]).toEqual([
            sink,
            400,
            camaraError(400, 'INVALID_SINK'),
          ]);
        }
        // The list still exempts its hosts from the public-address rule over https.
        expect(
          (
            await callAs(
              production,
              client,
              'POST',
              SIM_PATH,
              subscriptionRequest('https://127.0.0.1:9/local', NUMBER),
            )
          ).status,
        ).toBe(201);
        expect(
          (
            await callAs(
              production,
              client,
              'POST',
              SIM_PATH,
              subscriptionRequest('https://127.0.0.2:9/local', NUMBER),
            )
          ).body,
        ).toEqual(camaraError(400, 'INVALID_SINK'));
      } finally {
        await production.close();
      }
    });
  });

  describe('rate limit', () => {
    it('answers 429 TOO_MANY_REQUESTS with Retry-After on every subscription endpoint once the client exceeds its limit', async () => {
      // Pinned 10 s into a minute, so the limit's one-minute window cannot turn over mid-test.
      const clock = new PinnedClock(new Date(Date.UTC(2026, 11, 4, 12, 0, 10)));
      const limited = await startSimSwapApp(database, { clock });
      try {
        const created = await limited.get(ClientManagementService).createClient({
          name: 'rate limited',
          environment: 'SANDBOX',
          products: ['SIM_SWAP'],
          rateLimitPerMinute: 2,
        });
        const client: SwapClient = {
          clientId: created.clientId,
          jwtKeyId: created.jwtKeyId,
          jwtSecret: created.jwtSecret,
        };
        const first = await callAs(
          limited,
          client,
          'POST',
          SIM_PATH,
          subscriptionRequest(SINK, NUMBER),
          clock.now(),
        );
        expect(first.status).toBe(201);
        const id = (first.body as { id: string }).id;
        expect(
          (await callAs(limited, client, 'GET', SIM_PATH, undefined, clock.now())).status,
        ).toBe(200);
        const refusals = [
          await callAs(
            limited,
            client,
            'POST',
            SIM_PATH,
            subscriptionRequest('https://second.example/hook', NUMBER),
            clock.now(),
          ),
          await callAs(limited, client, 'GET', SIM_PATH, undefined, clock.now()),
          await callAs(limited, client, 'GET', `${SIM_PATH}/${id}`, undefined, clock.now()),
          await callAs(limited, client, 'DELETE', `${SIM_PATH}/${id}`, undefined, clock.now()),
        ];
        for (const refused of refusals)
          expect(refused.body).toEqual(camaraError(429, 'TOO_MANY_REQUESTS'));
        const response = await limited.inject({
          method: 'GET',
          url: SIM_PATH,
          headers: { authorization: `Bearer ${signJwt(client, clock.now())}` },
        });
        expect([response.statusCode, response.headers['retry-after']]).toEqual([429, '50']);
        // Nothing refused took effect: the subscription is still live, and no second one exists.
        const rows = await sql<{ status: string }>(
          'SELECT status::text FROM push_subscription WHERE client_id = $1',
          client.clientId,
        );
        expect(rows).toEqual([{ status: 'ACTIVE' }]);
        // The next window admits the client again.
        clock.set(new Date(clock.now().getTime() + 60_000));
        expect(
          (await callAs(limited, client, 'GET', `${SIM_PATH}/${id}`, undefined, clock.now()))
            .status,
        ).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('client isolation', () => {
    it("never shows, reads or deletes another client's subscription", async () => {
      const created = await callAs(
        app,
        alice,
        'POST',
        SIM_PATH,
        subscriptionRequest('https://isolated.example/hook', NUMBER),
      );
      const id = (created.body as { id: string }).id;
      const bobs = await callAs(app, bob, 'GET', SIM_PATH);
      expect(bobs.body).toEqual([]);
      expect((await callAs(app, bob, 'GET', `${SIM_PATH}/${id}`)).body).toEqual(
        camaraError(404, 'NOT_FOUND'),
      );
      const refused = await callAs(app, bob, 'DELETE', `${SIM_PATH}/${id}`);
      expect(refused.body).toEqual(camaraError(404, 'NOT_FOUND'));
      expect((await auditEventOf(app, refused.correlator))[0]).toMatchObject({
        http_status: 404,
        client_id: bob.clientId,
      });
      expect((await callAs(app, alice, 'GET', `${SIM_PATH}/${id}`)).body).toMatchObject({
        status: 'ACTIVE',
      });
      // Bob may subscribe to the same number and sink: subscriptions are per client.
      expect(
        (
          await callAs(
            app,
            bob,
            'POST',
            SIM_PATH,
            subscriptionRequest('https://isolated.example/hook', NUMBER),
          )
        ).status,
      ).toBe(201);
    });

    it("keeps SIM and device subscriptions apart: a SIM subscription's id is not found under the device path", async () => {
      const created = await callAs(
        app,
        alice,
        'POST',
        SIM_PATH,
        subscriptionRequest('https://kinds.example/hook', NUMBER),
      );
      const id = (created.body as { id: string }).id;
      expect((await callAs(app, alice, 'GET', `${DEVICE_PATH}/${id}`)).status).toBe(404);
    });
  });
});
