import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import {
  createSwapClient,
  signJwt,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import { SIM_PATH, subscriptionRequest } from './push-test-kit.js';
import { eventually, WebhookReceiver } from './webhook-receiver.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';

const DELIVERING = {
  JOBS_ENABLED: 'true',
  PUSH_DELIVERY_ENABLED: 'true',
  PUSH_POLL_INTERVAL_MS: '20',
  PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1',
  LOG_LEVEL: 'error',
};

/** Several gateways on one database, and one killed with SIGKILL: real processes, real sinks. */
describeOnPostgres('Webhook delivery guarantees', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await new WebhookReceiver().start();
  }, 60_000);

  afterAll(async () => {
    await receiver?.stop();
    await database?.drop();
  });

  const override = (
    app: NestFastifyApplication | string,
    adminKey: string,
    phoneNumber: string,
    at: string,
  ) =>
    request(
      app,
      'PUT',
      `/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`,
      `Bearer ${adminKey}`,
      { latestSimChange: at, latestDeviceChange: null },
    );

  async function request(
    app: NestFastifyApplication | string,
    method: string,
    url: string,
    authorization: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const headers = {
      authorization,
      'content-type': 'application/json',
      'x-correlator': `push-${randomUUID()}`,
    };
    if (typeof app === 'string') {
      const response = await fetch(`${app}${url}`, { method, headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    }
    const response = await app.inject({
      method: method as 'PUT',
      url,
      headers,
      payload: JSON.stringify(body),
    });
    return { status: response.statusCode, body: response.json<unknown>() };
  }

  it('with two instances delivering, every event reaches the sink exactly once', async () => {
    const first = await startSimSwapApp(database, {
      environment: { ...DELIVERING, PUSH_BATCH_SIZE: '7' },
    });
    const second = await startSimSwapApp(database, {
      environment: { ...DELIVERING, PUSH_BATCH_SIZE: '7' },
    });
    try {
      const client: SwapClient = await createSwapClient(first);
      const adminKey = (await first.get(CredentialIssuanceService).createAdminKey('admin')).key;
      const phoneNumber = '+31612345090';
      // 25 subscriptions to one number (one per sink path), 4 swaps: 100 events.
      for (let index = 0; index < 25; index += 1) {
        const created = await request(
          first,
          'POST',
          SIM_PATH,
          `Bearer ${signJwt(client)}`,
          subscriptionRequest(`${receiver.url}/two/${index}`, phoneNumber),
        );
        expect(created.status).toBe(201);
      }
      for (let swap = 0; swap < 4; swap += 1) {
        expect(
          (
            await override(
              swap % 2 === 0 ? first : second,
              adminKey,
              phoneNumber,
              `2026-12-01T0${swap}:00:00.000Z`,
            )
          ).status,
        ).toBe(200);
      }
      const delivered = await eventually(async () => {
        const [row] = await first
          .get(PrismaService)
          .client.$queryRawUnsafe<{ n: number }[]>(
            "SELECT count(*)::integer AS n FROM push_delivery WHERE status = 'delivered'",
          );
        return row.n === 100 ? row.n : undefined;
      }, 30_000);
      expect(delivered).toBe(100);
      const ids = receiver.received.map((event) => event.headers['webhook-id']);
      expect(ids).toHaveLength(100);
      expect(new Set(ids).size).toBe(100);
      const [attempts] = await first
        .get(PrismaService)
        .client.$queryRawUnsafe<{ n: number }[]>(
          'SELECT count(*)::integer AS n FROM push_delivery_attempt',
        );
      expect(attempts.n).toBe(100);
    } finally {
      await first.close();
      await second.close();
    }
  }, 90_000);

  it('delivers an event after the gateway that wrote it was killed with SIGKILL before delivering it', async () => {
    const setup = await startSimSwapApp(database);
    let writer: GatewayProcess | undefined;
    let deliverer: GatewayProcess | undefined;
    try {
      const client = await createSwapClient(setup);
      const adminKey = (await setup.get(CredentialIssuanceService).createAdminKey('admin')).key;
      // This gateway writes the change and its event, but does not deliver.
      // LOG_LEVEL info: the helper waits for the "listening on" line.
      writer = await startGatewayProcess({
        ...database.overrides,
        ...DELIVERING,
        LOG_LEVEL: 'info',
        PUSH_DELIVERY_ENABLED: 'false',
      });
      const phoneNumber = '+31612345091';
      const created = await request(
        writer.url,
        'POST',
        SIM_PATH,
        `Bearer ${signJwt(client)}`,
        subscriptionRequest(`${receiver.url}/killed`, phoneNumber),
      );
      expect(created.status).toBe(201);
      const subscriptionId = (created.body as { id: string }).id;
      expect(
        (await override(writer.url, adminKey, phoneNumber, '2026-12-02T10:00:00.000Z')).status,
      ).toBe(200);
      expect(await writer.stop('SIGKILL')).toBeNull();
      const [pending] = await setup
        .get(PrismaService)
        .client.$queryRawUnsafe<{ id: string; status: string }[]>(
          'SELECT id::text, status::text FROM push_delivery WHERE subscription_id = $1::uuid',
          subscriptionId,
        );
      expect(pending.status).toBe('pending');

      deliverer = await startGatewayProcess({
        ...database.overrides,
        ...DELIVERING,
        LOG_LEVEL: 'info',
      });
      const received = await eventually(() => {
        const events = receiver.eventsWithId(pending.id);
        return events.length > 0 ? events : undefined;
      }, 20_000);
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0].body)).toMatchObject({
        id: pending.id,
        data: { subscriptionId, phoneNumber },
      });
    } finally {
      await writer?.stop('SIGKILL');
      await deliverer?.stop();
      await setup.close();
    }
  }, 90_000);

  it('delivers an event whose delivery was in flight when its gateway was killed with SIGKILL: after a restart, again, with the same id', async () => {
    // One request at a time and the default 5 s attempt timeout: the claim's lease is 15 s, after
    // which the restarted gateway takes the event again.
    const inFlight = {
      ...database.overrides,
      ...DELIVERING,
      LOG_LEVEL: 'info',
      PUSH_BATCH_SIZE: '1',
      PUSH_SINK_CONCURRENCY: '1',
      PUSH_ATTEMPT_TIMEOUT_MS: '5000',
    };
    const setup = await startSimSwapApp(database);
    const sql = <T>(query: string, ...values: unknown[]) =>
      setup.get(PrismaService).client.$queryRawUnsafe<T[]>(query, ...values);
    // The sink holds the first request it gets open for good: the killed gateway is waiting for it.
    let holding = true;
    receiver.holdWith((event) => {
      if (event.url !== '/in-flight' || !holding) return Promise.resolve();
      holding = false;
      return new Promise<void>(() => undefined);
    });
    let killed: GatewayProcess | undefined;
    let restarted: GatewayProcess | undefined;
    try {
      const client = await createSwapClient(setup);
      const adminKey = (await setup.get(CredentialIssuanceService).createAdminKey('admin')).key;
      killed = await startGatewayProcess(inFlight);
      const phoneNumber = '+31612345092';
      const created = await request(
        killed.url,
        'POST',
        SIM_PATH,
        `Bearer ${signJwt(client)}`,
        subscriptionRequest(`${receiver.url}/in-flight`, phoneNumber),
      );
      expect(created.status).toBe(201);
      const subscriptionId = (created.body as { id: string }).id;
      expect(
        (await override(killed.url, adminKey, phoneNumber, '2026-12-03T10:00:00.000Z')).status,
      ).toBe(200);
      const [held] = await eventually(() => {
        const events = receiver.received.filter((event) => event.url === '/in-flight');
        return events.length > 0 ? events : undefined;
      }, 20_000);
      expect(await killed.stop('SIGKILL')).toBeNull();

      // Killed mid-attempt: the event is claimed (attempt 1) and nothing about that attempt was recorded.
      const eventId = String(held.headers['webhook-id']);
      const [claimed] = await sql<{ status: string; attempts: number }>(
        'SELECT status::text, attempts FROM push_delivery WHERE subscription_id = $1::uuid',
        subscriptionId,
      );
      expect(claimed).toEqual({ status: 'pending', attempts: 1 });
      expect(
        await sql('SELECT 1 FROM push_delivery_attempt WHERE delivery_id = $1::uuid', eventId),
      ).toHaveLength(0);

      restarted = await startGatewayProcess(inFlight);
      await eventually(async () => {
        const [row] = await sql<{ status: string }>(
          'SELECT status::text FROM push_delivery WHERE id = $1::uuid',
          eventId,
        );
        return row.status === 'delivered' ? row : undefined;
      }, 45_000);
      const received = receiver.eventsWithId(eventId);
      expect(received).toHaveLength(2);
      expect(received.map((event) => (JSON.parse(event.body) as { id: string }).id)).toEqual([
        eventId,
        eventId,
      ]);
      expect(JSON.parse(received[1].body)).toMatchObject({ data: { subscriptionId, phoneNumber } });
      const attempts = await sql<{ attempt: number; http_status: number; outcome: string }>(
        'SELECT attempt, http_status, outcome FROM push_delivery_attempt WHERE delivery_id = $1::uuid ORDER BY attempt',
        eventId,
      );
      expect(attempts).toEqual([{ attempt: 2, http_status: 204, outcome: 'delivered' }]);
    } finally {
      receiver.holdWith(undefined);
      await killed?.stop('SIGKILL');
      await restarted?.stop();
      await setup.close();
    }
  }, 120_000);
});
