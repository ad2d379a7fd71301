import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Webhook } from 'standardwebhooks';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import { DeliveryService } from '../../src/modules/push/delivery.service.js';
import { PushAdminService } from '../../src/modules/push/push-admin.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  createSwapClient,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import {
  callAs,
  QueuePinnedClock,
  SIM_ENDED,
  SIM_PATH,
  SIM_SWAPPED,
  subscriptionRequest,
} from './push-test-kit.js';
import { WebhookReceiver } from './webhook-receiver.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const SINK_TOKEN = 'sink-token-not-a-secret-of-the-gateway';

/**
 * The worker's loop is off here: each test runs one poll (`runOnce`) at a pinned time, so the
 * retry schedule can be checked exactly. Sinks are real HTTP servers on 127.0.0.1.
 */
describe('Webhook delivery', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let adminKey: string;
  let receiver: WebhookReceiver;
  let signingSecret: string;
  const clock = new QueuePinnedClock(NOW);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, {
      clock,
      queueClock: clock.queue,
      environment: {
        PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1',
        PUSH_RETRY_DELAYS_S: '5,30,60',
        PUSH_ATTEMPT_TIMEOUT_MS: '2000',
      },
    });
    client = await createSwapClient(app);
    adminKey = (await app.get(CredentialIssuanceService).createAdminKey('admin')).key;
    receiver = await new WebhookReceiver().start();
    const rotated = await admin('POST', `/admin/v1/push/clients/${client.clientId}/signing-keys`);
    expect(rotated.status).toBe(201);
    signingSecret = (rotated.body as { secret: string }).secret;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await database?.drop();
  });

  const delivery = () => app.get(DeliveryService);
  const sql = <T>(query: string, ...values: unknown[]) =>
    app.get(PrismaService).client.$queryRawUnsafe<T[]>(query, ...values);
  async function admin(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
    const response = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${adminKey}`,
        'x-correlator': `push-admin-${randomUUID()}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: response.statusCode, body: response.json<unknown>() };
  }
  let numberSeq = 20;
  /** A subscription of its own number to the receiver, and one swap of that number: one event in the outbox. */
  async function subscribeAndSwap(
    config: Record<string, unknown> = {},
    path = '/hook',
  ): Promise<{ subscriptionId: string; eventId: string; phoneNumber: string }> {
    const phoneNumber = `+316123450${numberSeq++}`;
    const created = await callAs(
      app,
      client,
      'POST',
      SIM_PATH,
      subscriptionRequest(`${receiver.url}${path}`, phoneNumber, {}, config),
      clock.now(),
    );
    expect(created.status).toBe(201);
    const subscriptionId = (created.body as { id: string }).id;
    const swapped = await admin(
      'PUT',
      `/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`,
      { latestSimChange: '2026-12-01T11:59:00.000Z', latestDeviceChange: null },
    );
    expect(swapped.status).toBe(200);
    const [row] = await sql<{ id: string }>(
      'SELECT id::text FROM push_delivery WHERE subscription_id = $1::uuid',
      subscriptionId,
    );
    return { subscriptionId, eventId: row.id, phoneNumber };
  }
  const stateOf = async (eventId: string) =>
    (
      await sql<{
        status: string;
        attempts: number;
        next_attempt_at: Date;
        last_http_status: number | null;
      }>(
        'SELECT status::text, attempts, next_attempt_at, last_http_status FROM push_delivery WHERE id = $1::uuid',
        eventId,
      )
    )[0];
  const advance = (ms: number) => clock.travel(new Date(clock.now().getTime() + ms));

  it('retries a sink that fails 3 times on the documented schedule, then delivers once; every attempt carries the same id', async () => {
    const { subscriptionId, eventId, phoneNumber } = await subscribeAndSwap();
    receiver.answer([500, 503, 502], 200);
    const start = clock.now().getTime();

    expect(await delivery().runOnce()).toBe(1);
    let state = await stateOf(eventId);
    expect(state).toMatchObject({ status: 'pending', attempts: 1, last_http_status: 500 });
    // 5 s ± 20% jitter.
    expect(state.next_attempt_at.getTime() - start).toBeGreaterThanOrEqual(4_000);
    expect(state.next_attempt_at.getTime() - start).toBeLessThanOrEqual(6_000);
    // The retry is the event's next pg-boss job, due exactly then (the database decides when it is due).
    expect(
      await sql(
        'SELECT j.start_after, j.state::text AS state FROM pgboss.job j JOIN push_delivery d ON d.job_id = j.id WHERE d.id = $1::uuid',
        eventId,
      ),
    ).toEqual([{ start_after: state.next_attempt_at, state: 'created' }]);
    expect(await delivery().runOnce()).toBe(0);

    await clock.travel(state.next_attempt_at);
    expect(await delivery().runOnce()).toBe(1);
    state = await stateOf(eventId);
    const second = clock.now().getTime();
    expect(state.next_attempt_at.getTime() - second).toBeGreaterThanOrEqual(24_000);
    expect(state.next_attempt_at.getTime() - second).toBeLessThanOrEqual(36_000);

    await clock.travel(state.next_attempt_at);
    await delivery().runOnce();
    state = await stateOf(eventId);
    const third = clock.now().getTime();
    expect(state.next_attempt_at.getTime() - third).toBeGreaterThanOrEqual(48_000);
    expect(state.next_attempt_at.getTime() - third).toBeLessThanOrEqual(72_000);

    await clock.travel(state.next_attempt_at);
    await delivery().runOnce();
    expect(await stateOf(eventId)).toMatchObject({
      status: 'delivered',
      attempts: 4,
      last_http_status: 200,
    });
    await advance(3_600_000);
    expect(await delivery().runOnce()).toBe(0);

    const received = receiver.eventsWithId(eventId);
    expect(received.map((event) => event.status)).toEqual([500, 503, 502, 200]);
    expect(new Set(received.map((event) => (JSON.parse(event.body) as { id: string }).id))).toEqual(
      new Set([eventId]),
    );
    const event = JSON.parse(received[3].body) as Record<string, unknown>;
    expect(event).toEqual({
      id: eventId,
      source: expect.any(String),
      specversion: '1.0',
      type: SIM_SWAPPED,
      time: '2026-12-01T11:59:00.000Z',
      datacontenttype: 'application/json',
      data: { subscriptionId, phoneNumber },
    });
    expect(received[3].headers).toMatchObject({
      'content-type': 'application/cloudevents+json',
      authorization: `Bearer ${SINK_TOKEN}`,
    });

    const attempts = await sql<{
      attempt: number;
      http_status: number;
      outcome: string;
      error: string | null;
    }>(
      'SELECT attempt, http_status, outcome, error FROM push_delivery_attempt WHERE delivery_id = $1::uuid ORDER BY attempt',
      eventId,
    );
    expect(attempts.map((row) => [row.attempt, row.http_status, row.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 503, 'retry'],
      [3, 502, 'retry'],
      [4, 200, 'delivered'],
    ]);
    const audit = await sql<{
      detail: Record<string, unknown>;
      outcome: string;
      phone_masked: string;
      phone_hash: string;
    }>(
      "SELECT detail, outcome, phone_masked, phone_hash FROM audit_event WHERE action = 'push.delivery_attempt' AND detail->>'eventId' = $1 ORDER BY id",
      eventId,
    );
    expect(
      audit.map((row) => [
        row.detail.attempt,
        row.detail.sinkStatus,
        row.detail.result,
        row.outcome,
      ]),
    ).toEqual([
      [1, 500, 'retry', 'failure'],
      [2, 503, 'retry', 'failure'],
      [3, 502, 'retry', 'failure'],
      [4, 200, 'delivered', 'success'],
    ]);
    expect(audit[0]).toMatchObject({
      phone_masked: '+*********20',
      phone_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(audit)).not.toContain(SINK_TOKEN);
  });

  it('signs every delivery so that an independent Standard Webhooks implementation verifies it, and refuses a tampered body', async () => {
    const { eventId } = await subscribeAndSwap();
    receiver.answer([], 204);
    await delivery().runOnce();
    const [received] = receiver.eventsWithId(eventId);
    const headers = received.headers as Record<string, string>;
    const verifier = new Webhook(signingSecret);
    // The library checks the timestamp against the real time; the gateway signed with the pinned clock's.
    const now = Math.floor(Number(headers['webhook-timestamp']));
    jest.useFakeTimers({
      now: now * 1000,
      doNotFake: [
        'setTimeout',
        'setImmediate',
        'nextTick',
        'queueMicrotask',
        'setInterval',
        'clearTimeout',
        'clearInterval',
      ],
    });
    try {
      expect(verifier.verify(received.body, headers)).toMatchObject({ id: eventId });
      expect(() =>
        verifier.verify(
          received.body.replace('"specversion":"1.0"', '"specversion":"1.1"'),
          headers,
        ),
      ).toThrow();
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(
          received.body,
          headers,
        ),
      ).toThrow();
    } finally {
      jest.useRealTimers();
    }
    expect(headers['webhook-key-id']).toMatch(/^whk_/);
  });

  it('honours Retry-After on 429', async () => {
    const { eventId } = await subscribeAndSwap();
    receiver.answer([{ status: 429, headers: { 'retry-after': '120' } }], 204);
    await delivery().runOnce();
    expect((await stateOf(eventId)).next_attempt_at.getTime() - clock.now().getTime()).toBe(
      120_000,
    );
    await advance(120_000);
    await delivery().runOnce();
    expect(await stateOf(eventId)).toMatchObject({ status: 'delivered' });
  });

  it('ends the subscription when the sink answers 410: its events are cancelled and no new ones are written', async () => {
    const { subscriptionId, eventId, phoneNumber } = await subscribeAndSwap({}, '/gone');
    await admin('PUT', `/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`, {
      latestSimChange: '2026-12-01T11:59:30.000Z',
      latestDeviceChange: null,
    });
    receiver.answer([410], 410);
    await delivery().runOnce();
    const states = await sql<{ id: string; status: string }>(
      'SELECT id::text, status::text FROM push_delivery WHERE subscription_id = $1::uuid',
      subscriptionId,
    );
    expect(states.map((row) => row.status)).toEqual(['cancelled', 'cancelled']);
    expect(states.some((row) => row.id === eventId)).toBe(true);
    // A later swap of the number produces nothing for the ended subscription.
    await admin('PUT', `/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`, {
      latestSimChange: '2026-12-01T11:59:45.000Z',
      latestDeviceChange: null,
    });
    expect(
      await sql('SELECT 1 FROM push_delivery WHERE subscription_id = $1::uuid', subscriptionId),
    ).toHaveLength(2);
    expect(
      (await callAs(app, client, 'GET', `${SIM_PATH}/${subscriptionId}`, undefined, clock.now()))
        .body,
    ).toMatchObject({ status: 'DELETED' });
  });

  it('dead-letters an event after its last attempt; admins see every attempt without secrets and replay it by API and by CLI', async () => {
    const { eventId } = await subscribeAndSwap();
    receiver.answer([], 500);
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await delivery().runOnce();
      await advance(100_000);
    }
    expect(await stateOf(eventId)).toMatchObject({ status: 'dead', attempts: 4 });

    const dead = await admin('GET', '/admin/v1/push/deliveries?status=dead');
    expect((dead.body as { items: { id: string }[] }).items.map((item) => item.id)).toContain(
      eventId,
    );
    const detail = await admin('GET', `/admin/v1/push/deliveries/${eventId}`);
    expect(detail.body).toMatchObject({
      id: eventId,
      status: 'dead',
      phoneMasked: expect.stringMatching(/^\+\*+\d\d$/),
    });
    const attempts = (
      detail.body as { attemptLog: { httpStatus: number; latencyMs: number; outcome: string }[] }
    ).attemptLog;
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['retry', 'retry', 'retry', 'dead']);
    expect(attempts.every((attempt) => attempt.httpStatus === 500 && attempt.latencyMs >= 0)).toBe(
      true,
    );
    expect(JSON.stringify(detail.body)).not.toContain(SINK_TOKEN);

    receiver.answer([], 204);
    const replayed = await admin('POST', `/admin/v1/push/deliveries/${eventId}/replay`);
    expect(replayed).toMatchObject({ status: 200, body: { id: eventId, status: 'pending' } });
    await delivery().runOnce();
    expect(await stateOf(eventId)).toMatchObject({ status: 'delivered' });
    expect((await admin('POST', `/admin/v1/push/deliveries/${eventId}/replay`)).status).toBe(409);

    // The CLI, on a second dead event.
    const second = await subscribeAndSwap();
    receiver.answer([], 500);
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await delivery().runOnce();
      await advance(100_000);
    }
    expect(await stateOf(second.eventId)).toMatchObject({ status: 'dead' });
    const { stdout } = await promisify(execFile)(
      'node',
      ['dist/cli.js', 'push:replay', second.eventId, '--json'],
      {
        env: { ...process.env, ...database.overrides },
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ id: second.eventId, status: 'pending' });
    const [replayEvent] = await sql<{ actor_id: string }>(
      "SELECT actor_id FROM audit_event WHERE action = 'push.delivery_replay' AND detail->>'eventId' = $1",
      second.eventId,
    );
    expect(replayEvent).toEqual({ actor_id: 'cli' });
  });

  it('sends subscription-ended on max events and on expiry', async () => {
    receiver.answer([], 204);
    const maxed = await subscribeAndSwap({ subscriptionMaxEvents: 1 });
    const expiring = await subscribeAndSwap({
      subscriptionExpireTime: new Date(clock.now().getTime() + 3_600_000).toISOString(),
    });
    await advance(2 * 3_600_000);
    expect(await app.get(PushAdminService).endExpired()).toBe(1);
    await delivery().runOnce();
    const endedOf = (subscriptionId: string) =>
      receiver.received
        .map(
          (event) =>
            JSON.parse(event.body) as {
              type: string;
              data: { subscriptionId: string; terminationReason?: string };
            },
        )
        .filter((event) => event.type === SIM_ENDED && event.data.subscriptionId === subscriptionId)
        .map((event) => event.data.terminationReason);
    expect(endedOf(maxed.subscriptionId)).toEqual(['MAX_EVENTS_REACHED']);
    expect(endedOf(expiring.subscriptionId)).toEqual(['SUBSCRIPTION_EXPIRED']);
    expect(
      (
        await callAs(
          app,
          client,
          'GET',
          `${SIM_PATH}/${expiring.subscriptionId}`,
          undefined,
          clock.now(),
        )
      ).body,
    ).toMatchObject({ status: 'EXPIRED' });
  });

  it('sends subscription-ended (ACCESS_TOKEN_EXPIRED) the documented lead before the sink token expires, with that still-valid token', async () => {
    receiver.answer([], 204);
    const leadMs = 300_000; // PUSH_ACCESS_TOKEN_END_LEAD_S, default
    const tokenExpiresAt = new Date(clock.now().getTime() + 3_600_000);
    const shortLived = {
      credentialType: 'ACCESSTOKEN',
      accessToken: 'short-lived-sink-token',
      accessTokenExpiresUtc: tokenExpiresAt.toISOString(),
      accessTokenType: 'bearer',
    };
    const created = await callAs(
      app,
      client,
      'POST',
      SIM_PATH,
      subscriptionRequest(`${receiver.url}/short-lived`, `+316123450${numberSeq++}`, {
        sinkCredential: shortLived,
      }),
      clock.now(),
    );
    expect(created.status).toBe(201);
    const subscriptionId = (created.body as { id: string }).id;
    const endedEvents = () =>
      receiver.received
        .filter((event) => event.body.includes(subscriptionId))
        .map((event) => ({
          event: JSON.parse(event.body) as { type: string; data: Record<string, unknown> },
          authorization: event.headers.authorization,
        }));

    await clock.travel(new Date(tokenExpiresAt.getTime() - leadMs - 1_000));
    expect(await app.get(PushAdminService).endExpired()).toBe(0);
    expect(
      (await callAs(app, client, 'GET', `${SIM_PATH}/${subscriptionId}`, undefined, clock.now()))
        .body,
    ).toMatchObject({ status: 'ACTIVE' });

    await clock.travel(new Date(tokenExpiresAt.getTime() - leadMs));
    expect(await app.get(PushAdminService).endExpired()).toBe(1);
    expect(
      (await callAs(app, client, 'GET', `${SIM_PATH}/${subscriptionId}`, undefined, clock.now()))
        .body,
    ).toMatchObject({ status: 'INACTIVE' });
    await delivery().runOnce();
    expect(endedEvents()).toEqual([
      {
        event: expect.objectContaining({
          type: SIM_ENDED,
          data: { subscriptionId, terminationReason: 'ACCESS_TOKEN_EXPIRED' },
        }),
        authorization: 'Bearer short-lived-sink-token',
      },
    ]);
    const [attempt] = await sql<{ started_at: Date; outcome: string }>(
      'SELECT a.started_at, a.outcome FROM push_delivery_attempt a JOIN push_delivery d ON d.id = a.delivery_id WHERE d.subscription_id = $1::uuid',
      subscriptionId,
    );
    expect(attempt.outcome).toBe('delivered');
    expect(tokenExpiresAt.getTime() - attempt.started_at.getTime()).toBeGreaterThanOrEqual(leadMs);
    // Once ended, the job does not end it again.
    await clock.travel(new Date(tokenExpiresAt.getTime() + 1_000));
    expect(await app.get(PushAdminService).endExpired()).toBe(0);
  });

  it('after a signing-key rotation signs with both keys during the overlap, then with the new key only', async () => {
    receiver.answer([], 204);
    /** Whether an independent Standard Webhooks implementation accepts the delivery under `secret`, at the time it was signed. */
    const verifiesWith = (
      secret: string,
      received: { body: string; headers: Record<string, unknown> },
    ): boolean => {
      const headers = received.headers as Record<string, string>;
      jest.useFakeTimers({
        now: Number(headers['webhook-timestamp']) * 1000,
        doNotFake: [
          'setTimeout',
          'setImmediate',
          'nextTick',
          'queueMicrotask',
          'setInterval',
          'clearTimeout',
          'clearInterval',
        ],
      });
      try {
        new Webhook(secret).verify(received.body, headers);
        return true;
      } catch {
        return false;
      } finally {
        jest.useRealTimers();
      }
    };
    const keysOf = (headers: Record<string, unknown>) => ({
      ids: String(headers['webhook-key-id']).split(' '),
      signatures: String(headers['webhook-signature']).split(' '),
    });
    const oldSecret = signingSecret;
    const before = await subscribeAndSwap();
    await delivery().runOnce();
    const [beforeEvent] = receiver.eventsWithId(before.eventId);
    const {
      ids: [oldKeyId],
      signatures,
    } = keysOf(beforeEvent.headers);
    expect(signatures).toHaveLength(1);
    expect(verifiesWith(oldSecret, beforeEvent)).toBe(true);
    const rotatedAt = clock.now();
    const rotated = await admin('POST', `/admin/v1/push/clients/${client.clientId}/signing-keys`);
    expect(rotated.status).toBe(201);
    const {
      id: newKeyId,
      secret: newSecret,
      previousKeysRetireAt,
    } = rotated.body as { id: string; secret: string; previousKeysRetireAt: string };
    const overlapMs = 24 * 3_600_000; // PUSH_SIGNING_KEY_OVERLAP_HOURS, default
    expect(new Date(previousKeysRetireAt).getTime() - rotatedAt.getTime()).toBe(overlapMs);

    // During the overlap: two signatures, newest key first; a receiver that knows either secret accepts the event.
    const during = await subscribeAndSwap();
    await delivery().runOnce();
    const [duringEvent] = receiver.eventsWithId(during.eventId);
    expect(keysOf(duringEvent.headers)).toEqual({
      ids: [newKeyId, oldKeyId],
      signatures: [expect.stringMatching(/^v1,/), expect.stringMatching(/^v1,/)],
    });
    expect(verifiesWith(newSecret, duringEvent)).toBe(true);
    expect(verifiesWith(oldSecret, duringEvent)).toBe(true);

    // Just before the overlap ends the old key still signs; from its end, only the new one.
    await clock.travel(new Date(rotatedAt.getTime() + overlapMs - 1_000));
    const last = await subscribeAndSwap();
    await delivery().runOnce();
    expect(keysOf(receiver.eventsWithId(last.eventId)[0].headers).ids).toEqual([
      newKeyId,
      oldKeyId,
    ]);
    await clock.travel(new Date(rotatedAt.getTime() + overlapMs));
    const after = await subscribeAndSwap();
    await delivery().runOnce();
    const [afterEvent] = receiver.eventsWithId(after.eventId);
    expect(keysOf(afterEvent.headers)).toEqual({
      ids: [newKeyId],
      signatures: [expect.stringMatching(/^v1,/)],
    });
    expect(verifiesWith(newSecret, afterEvent)).toBe(true);
    expect(verifiesWith(oldSecret, afterEvent)).toBe(false);
  });
});
