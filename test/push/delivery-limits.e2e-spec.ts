import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import { DeliveryService } from '../../src/modules/push/delivery.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  createSwapClient,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import { callAs, QueuePinnedClock, SIM_PATH, subscriptionRequest } from './push-test-kit.js';
import { WebhookReceiver } from './webhook-receiver.js';

const SINK_CONCURRENCY = 3;
const ATTEMPT_TIMEOUT_MS = 1_000;

/**
 * The limits of one delivery attempt: requests in flight per sink, the attempt timeout, and a
 * sink that refuses connections. As in delivery.e2e-spec.ts the worker's loop is off and each
 * test runs `runOnce` at a pinned time. No PUSH_SINK_ALLOWED_HOSTS: the 127.0.0.1 sinks are
 * accepted because this is not production.
 */
describe('Webhook delivery limits', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let adminKey: string;
  let receiver: WebhookReceiver;
  const clock = new QueuePinnedClock(new Date('2026-12-01T12:00:00.000Z'));

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, {
      clock,
      queueClock: clock.queue,
      environment: {
        PUSH_SINK_CONCURRENCY: String(SINK_CONCURRENCY),
        PUSH_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
        PUSH_RETRY_DELAYS_S: '5,30,60',
      },
    });
    client = await createSwapClient(app);
    adminKey = (await app.get(CredentialIssuanceService).createAdminKey('admin')).key;
    receiver = await new WebhookReceiver().start();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await database?.drop();
  });

  const delivery = () => app.get(DeliveryService);
  const sql = <T>(query: string, ...values: unknown[]) =>
    app.get(PrismaService).client.$queryRawUnsafe<T[]>(query, ...values);
  let numberSeq = 10;

  /** Subscriptions of one fresh number to each sink, then one swap of it: one event per sink in the outbox. */
  async function subscribeAndSwap(sinks: string[]): Promise<string[]> {
    const phoneNumber = `+316123451${numberSeq++}`;
    const subscriptionIds: string[] = [];
    for (const sink of sinks) {
      const created = await callAs(
        app,
        client,
        'POST',
        SIM_PATH,
        subscriptionRequest(sink, phoneNumber),
        clock.now(),
      );
      expect(created.status).toBe(201);
      subscriptionIds.push((created.body as { id: string }).id);
    }
    const swapped = await app.inject({
      method: 'PUT',
      url: `/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`,
      headers: {
        authorization: `Bearer ${adminKey}`,
        'content-type': 'application/json',
        'x-correlator': `push-limits-${randomUUID()}`,
      },
      payload: JSON.stringify({
        latestSimChange: clock.now().toISOString(),
        latestDeviceChange: null,
      }),
    });
    expect(swapped.statusCode).toBe(200);
    const rows = await sql<{ id: string }>(
      'SELECT id::text FROM push_delivery WHERE subscription_id = ANY($1::uuid[]) ORDER BY id',
      subscriptionIds,
    );
    expect(rows).toHaveLength(sinks.length);
    return rows.map((row) => row.id);
  }
  const stateOf = async (eventId: string) =>
    (
      await sql<{ status: string; attempts: number; next_attempt_at: Date }>(
        'SELECT status::text, attempts, next_attempt_at FROM push_delivery WHERE id = $1::uuid',
        eventId,
      )
    )[0];
  const attemptsOf = (eventId: string) =>
    sql<{
      attempt: number;
      http_status: number | null;
      outcome: string;
      error: string | null;
      latency_ms: number;
    }>(
      'SELECT attempt, http_status, outcome, error, latency_ms FROM push_delivery_attempt WHERE delivery_id = $1::uuid ORDER BY attempt',
      eventId,
    );

  it(`keeps at most PUSH_SINK_CONCURRENCY (${SINK_CONCURRENCY}) deliveries in flight to one slow sink`, async () => {
    const events = 8;
    const eventIds = await subscribeAndSwap(
      Array.from({ length: events }, (_, index) => `${receiver.url}/slow/${index}`),
    );
    const first = receiver.received.length;
    // A slow sink: it answers nothing until it holds as many requests as the limit allows (or the
    // last one), and then only after another 200 ms, in which a gateway sending more than the limit
    // would be seen exceeding it. A gateway sending fewer would stall (and the test time out).
    const held: (() => void)[] = [];
    let releasing = false;
    receiver.holdWith(
      () =>
        new Promise<void>((release) => {
          held.push(release);
          if (
            releasing ||
            (receiver.inFlight < SINK_CONCURRENCY && receiver.received.length - first < events)
          )
            return;
          releasing = true;
          setTimeout(() => {
            releasing = false;
            for (const next of held.splice(0)) next();
          }, 200);
        }),
    );
    receiver.maxInFlight = 0;
    try {
      expect(await delivery().runOnce()).toBe(events);
    } finally {
      receiver.holdWith(undefined);
    }
    expect(receiver.maxInFlight).toBe(SINK_CONCURRENCY);
    for (const eventId of eventIds) {
      expect(await stateOf(eventId)).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(receiver.eventsWithId(eventId)).toHaveLength(1);
    }
  });

  it('ends an attempt the sink never answers at PUSH_ATTEMPT_TIMEOUT_MS, records it as a timeout and retries it with the same id', async () => {
    const [eventId] = await subscribeAndSwap([`${receiver.url}/never`]);
    receiver.holdWith((event) =>
      event.url === '/never' ? new Promise<void>(() => undefined) : Promise.resolve(),
    );
    const started = performance.now();
    try {
      expect(await delivery().runOnce()).toBe(1);
    } finally {
      receiver.holdWith(undefined);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(ATTEMPT_TIMEOUT_MS + 4_000);
    const [timedOut] = await attemptsOf(eventId);
    expect(timedOut).toMatchObject({
      attempt: 1,
      http_status: null,
      outcome: 'retry',
      error: expect.stringContaining('timeout'),
    });
    expect(timedOut.latency_ms).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 50);
    const state = await stateOf(eventId);
    expect(state).toMatchObject({ status: 'pending', attempts: 1 });
    // The first retry delay, 5 s ± 20 %.
    expect(state.next_attempt_at.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(4_000);
    expect(state.next_attempt_at.getTime() - clock.now().getTime()).toBeLessThanOrEqual(6_000);
    // The gateway abandoned the request: the sink no longer holds it.
    expect(receiver.inFlight).toBe(0);

    await clock.travel(state.next_attempt_at);
    expect(await delivery().runOnce()).toBe(1);
    expect(await stateOf(eventId)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(
      (await attemptsOf(eventId)).map((row) => [row.attempt, row.http_status, row.outcome]),
    ).toEqual([
      [1, null, 'retry'],
      [2, 204, 'delivered'],
    ]);
    expect(
      receiver.eventsWithId(eventId).map((event) => (JSON.parse(event.body) as { id: string }).id),
    ).toEqual([eventId, eventId]);
  });

  it('retries after a connection error: a sink whose port is closed gets the event once it listens', async () => {
    // A port that was free a moment ago, and nothing listens on it now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) =>
      probe.close(() => {
        resolve();
      }),
    );
    const [eventId] = await subscribeAndSwap([`http://127.0.0.1:${port}/late`]);

    expect(await delivery().runOnce()).toBe(1);
    const [refused] = await attemptsOf(eventId);
    expect(refused).toMatchObject({
      attempt: 1,
      http_status: null,
      outcome: 'retry',
      error: 'connection failed (ECONNREFUSED)',
    });
    const state = await stateOf(eventId);
    expect(state).toMatchObject({ status: 'pending', attempts: 1 });

    const late = await new WebhookReceiver().start(port);
    try {
      await clock.travel(state.next_attempt_at);
      expect(await delivery().runOnce()).toBe(1);
      expect(await stateOf(eventId)).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(late.eventsWithId(eventId)).toHaveLength(1);
    } finally {
      await late.stop();
    }
  });
});
