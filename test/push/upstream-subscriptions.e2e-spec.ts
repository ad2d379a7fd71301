import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Webhook } from 'standardwebhooks';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import { DeliveryService } from '../../src/modules/push/delivery.service.js';
import { SwapPollingService } from '../../src/modules/swap-polling/swap-polling.service.js';
import { SwapUpstreamService } from '../../src/modules/swap-upstream/swap-upstream.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { FakeCamaraOperator, type RecordedCall } from '../sim-swap/fake-camara-operator.js';
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

const NOW = new Date('2026-12-06T12:00:00.000Z');
const RECEIVER_BASE = 'https://gateway.example/base';
const SUBSCRIPTIONS = 'sim-swap-subscriptions/v0.3/subscriptions';
const RETRIEVE_DATE = 'sim-swap/v2/retrieve-date';

interface CloudEvent {
  id: string;
  type: string;
  time: string;
  data: { subscriptionId: string; phoneNumber?: string; terminationReason?: string };
}

interface SubscribeBody {
  protocol: string;
  sink: string;
  types: string[];
  config: { subscriptionDetail: { phoneNumber: string } };
  sinkCredential: {
    credentialType: string;
    accessToken: string;
    accessTokenExpiresUtc: string;
    accessTokenType: string;
  };
}

/** What the fake operator was asked to create: where to post, with which token, under which id it answered. */
interface Upstream {
  path: string;
  token: string;
  operatorId: string;
  body: SubscribeBody;
}

/**
 * Operators that offer CAMARA SIM Swap Subscriptions: the gateway subscribes upstream (a fake
 * CAMARA operator on 127.0.0.1), the test plays the operator's notifications against the
 * receiver, and a real sink receives the client events. The ticks run by hand on a pinned clock.
 */
describe('Swap events of camara operators that offer CAMARA subscriptions (upstream subscriptions)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let otherClient: SwapClient;
  let operator: FakeCamaraOperator;
  let receiver: WebhookReceiver;
  let signingSecret: string;
  let adminKey: string;
  // The gateway's clock and pg-boss's (which decides when a delivery job is due) move together.
  const clock = new QueuePinnedClock(NOW);
  /** Every subscription the fake operator created: the request and the id it answered. */
  const created: { body: SubscribeBody; id: string }[] = [];

  beforeAll(async () => {
    operator = await new FakeCamaraOperator().start();
    receiver = await new WebhookReceiver().start();
    database = await createTestDatabase();
    app = await startSimSwapApp(database, {
      clock,
      queueClock: clock.queue,
      environment: {
        PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1',
        PUSH_ATTEMPT_TIMEOUT_MS: '2000',
        PUSH_UPSTREAM_RECEIVER_URL: RECEIVER_BASE,
        // The failing-operator case must reach the operator, not an open breaker.
        SIM_SWAP_BREAKER_VOLUME_THRESHOLD: '10000',
      },
    });
    client = await createSwapClient(app);
    otherClient = await createSwapClient(app);
    const operators = app.get(OperatorsService);
    const settings = {
      baseUrl: operator.baseUrl,
      tokenUrl: operator.tokenUrl,
      clientId: operator.clientId,
    };
    // Through the admin API's own validation.
    await operators.register({
      id: 'CAMARA_SUBS',
      name: 'offers subscriptions',
      country: 'DE',
      numberPrefixes: ['+49172'],
      adapterKind: 'camara',
      settings: { ...settings, simSwapSubscriptions: true },
    });
    await operators.register({
      id: 'CAMARA_POLL',
      name: 'polled',
      country: 'DE',
      numberPrefixes: ['+49173'],
      adapterKind: 'camara',
      settings,
    });
    for (const id of ['CAMARA_SUBS', 'CAMARA_POLL'])
      await app.get(OperatorSecretsService).put(id, 'clientSecret', operator.clientSecret);
    adminKey = (await app.get(CredentialIssuanceService).createAdminKey('admin')).key;
    const rotated = await app.inject({
      method: 'POST',
      url: `/admin/v1/push/clients/${client.clientId}/signing-keys`,
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(rotated.statusCode).toBe(201);
    signingSecret = rotated.json<{ secret: string }>().secret;
    operatorCreates();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await operator?.stop();
    await database?.drop();
  });

  /** The operator creates subscriptions (201, a new id each); `status` makes it fail instead. */
  function operatorCreates(status = 201): void {
    operator.behaviours.set(SUBSCRIPTIONS, {
      kind: 'reply',
      reply: (call) => {
        if (status !== 201)
          return { status, body: { status, code: 'UNAVAILABLE', message: 'down' } };
        const id = `op-sub-${created.length + 1}`;
        created.push({ body: call.body as unknown as SubscribeBody, id });
        return {
          status,
          body: {
            ...call.body,
            sinkCredential: undefined,
            id,
            status: 'ACTIVE',
            startsAt: clock.now().toISOString(),
          },
        };
      },
    });
  }

  const prisma = () => app.get(PrismaService).client;
  const sync = () => app.get(SwapUpstreamService).syncDue();
  const poll = () => app.get(SwapPollingService).pollDue();
  const deliver = async () => {
    while ((await app.get(DeliveryService).runOnce()) > 0);
  };
  const createCalls = (): RecordedCall[] =>
    operator.calls.filter((call) => call.method === 'POST' && call.path === SUBSCRIPTIONS);
  const deleteCalls = (): RecordedCall[] =>
    operator.calls.filter((call) => call.method === 'DELETE');
  const pollsOf = (phoneNumber: string) =>
    operator.callsTo(RETRIEVE_DATE).filter((call) => call.body.phoneNumber === phoneNumber).length;
  const eventsOf = (subscriptionId: string): CloudEvent[] =>
    receiver.received
      .map((event) => JSON.parse(event.body) as CloudEvent)
      .filter((event) => event.data.subscriptionId === subscriptionId);
  const statusOf = async (id: string, as = client) =>
    (
      (await callAs(app, as, 'GET', `${SIM_PATH}/${id}`, undefined, clock.now())).body as {
        status: string;
      }
    ).status;
  const subscribe = async (phoneNumber: string, as = client) => {
    const created = await callAs(
      app,
      as,
      'POST',
      SIM_PATH,
      subscriptionRequest(`${receiver.url}/hook`, phoneNumber),
      clock.now(),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'ACTIVATION_REQUESTED' });
    return (created.body as { id: string }).id;
  };
  const unsubscribe = async (id: string, as = client) => {
    expect(
      (await callAs(app, as, 'DELETE', `${SIM_PATH}/${id}`, undefined, clock.now())).status,
    ).toBe(204);
  };
  /** The upstream subscription the fake operator created for this number (the last one). */
  const upstreamOf = (phoneNumber: string): Upstream => {
    const found = created
      .filter((entry) => entry.body.config.subscriptionDetail.phoneNumber === phoneNumber)
      .at(-1);
    if (!found) throw new Error(`no upstream subscription for ${phoneNumber}`);
    const { body, id } = found;
    return {
      path: new URL(body.sink).pathname.replace(/^\/base/, ''),
      token: body.sinkCredential.accessToken,
      operatorId: id,
      body,
    };
  };
  /** Posts a notification as the operator would; `authorization: null` sends none. */
  const notify = async (
    upstream: Upstream,
    event: Record<string, unknown>,
    authorization: string | null = `Bearer ${upstream.token}`,
  ) => {
    const response = await app.inject({
      method: 'POST',
      url: upstream.path,
      headers: {
        'content-type': 'application/cloudevents+json',
        'x-correlator': `op-${randomUUID()}`,
        ...(authorization === null ? {} : { authorization }),
      },
      payload: JSON.stringify(event),
    });
    return {
      status: response.statusCode,
      body: response.body ? response.json<Record<string, unknown>>() : undefined,
      correlator: response.headers['x-correlator'],
    };
  };
  const swapped = (upstream: Upstream, time: string, id: string = randomUUID()) => ({
    id,
    source: 'https://operator.example/notifications',
    specversion: '1.0',
    type: SIM_SWAPPED,
    time,
    datacontenttype: 'application/json',
    data: {
      subscriptionId: upstream.operatorId,
      phoneNumber: upstream.body.config.subscriptionDetail.phoneNumber,
    },
  });
  const auditOf = (action: string) =>
    prisma().$queryRawUnsafe<
      {
        outcome: string;
        operator_id: string;
        phone_masked: string;
        detail: Record<string, unknown>;
        upstream: unknown;
        http_status: number | null;
      }[]
    >(
      `SELECT outcome, operator_id, phone_masked, detail, upstream, http_status FROM audit_event WHERE action = $1 ORDER BY occurred_at, id`,
      action,
    );

  it('shows per operator where its events come from, and refuses an invalid subscriptions setting', async () => {
    const read = async (id: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/admin/v1/operators/${id}`,
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).json<{ swapEvents: unknown }>();
    expect((await read('CAMARA_SUBS')).swapEvents).toEqual({
      sim: 'upstream_subscription',
      device: 'polling',
    });
    expect((await read('CAMARA_POLL')).swapEvents).toEqual({ sim: 'polling', device: 'polling' });
    const operators = app.get(OperatorsService);
    expect((await operators.findAny('CAMARA_SUBS'))?.swapEvents).toEqual({
      sim: 'upstream_subscription',
      device: 'polling',
    });
    expect((await operators.findAny('CAMARA_POLL'))?.swapEvents).toEqual({
      sim: 'polling',
      device: 'polling',
    });
    await expect(
      operators.change('CAMARA_POLL', { settings: { simSwapSubscriptions: 'yes' } }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      operators.register({
        id: 'SANDBOX_X',
        name: 'x',
        country: 'DE',
        numberPrefixes: ['+49179'],
        settings: { simSwapSubscriptions: true },
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      operators.change('CAMARA_POLL', { settings: { simSwapSubscriptions: true } }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('subscribes upstream when a subscription is created, with the receiver as sink and a bearer sinkCredential, and does not poll the number', async () => {
    const phoneNumber = '+491721000001';
    const id = await subscribe(phoneNumber);
    expect(await sync()).toMatchObject({ subscribed: 1, fellBack: 0 });
    expect(await statusOf(id)).toBe('ACTIVE');
    const upstream = upstreamOf(phoneNumber);
    expect(upstream.body).toMatchObject({
      protocol: 'HTTP',
      types: [SIM_SWAPPED],
      sinkCredential: {
        credentialType: 'ACCESSTOKEN',
        accessTokenType: 'bearer',
        accessTokenExpiresUtc: '2027-03-06T12:00:00.000Z',
      },
    });
    expect(upstream.body.sink).toMatch(
      /^https:\/\/gateway\.example\/base\/sim-swap-subscriptions\/v0\.3\/upstream-notifications\/[0-9a-f-]{36}$/,
    );
    expect(upstream.token.length).toBeGreaterThanOrEqual(40);
    // Sent with the operator's OAuth token, like the lookups.
    expect(createCalls().at(-1)?.authorization).toMatch(/^Bearer token-/);
    await poll();
    expect(pollsOf(phoneNumber)).toBe(0);

    const [audit] = (await auditOf('push.upstream_subscribed')).filter((row) =>
      (row.detail.subscriptionIds as string[]).includes(id),
    );
    expect(audit).toMatchObject({
      outcome: 'success',
      operator_id: 'CAMARA_SUBS',
      upstream: [expect.objectContaining({ status: 201 })],
    });
    expect(audit.phone_masked).not.toContain('1000001');
    // The token is stored sealed, never in clear.
    const stored = await prisma().pushUpstreamSubscription.findMany({
      where: { upstreamId: upstream.operatorId },
    });
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(upstream.token);
    expect(JSON.stringify(stored)).not.toContain(phoneNumber);
    await unsubscribe(id);
  });

  it('turns an accepted swapped notification into one signed client event, and a repeat of its id into nothing more', async () => {
    const phoneNumber = '+491721000002';
    const id = await subscribe(phoneNumber);
    await sync();
    const upstream = upstreamOf(phoneNumber);
    const event = swapped(upstream, '2026-12-06T12:00:30Z');
    const accepted = await notify(upstream, event);
    expect(accepted.status).toBe(204);
    expect((await notify(upstream, event)).status).toBe(204);
    await deliver();
    const events = eventsOf(id);
    expect(events).toEqual([
      expect.objectContaining({
        type: SIM_SWAPPED,
        time: '2026-12-06T12:00:30.000Z',
        data: { subscriptionId: id, phoneNumber },
      }),
    ]);

    const [received] = receiver.received.filter(
      (entry) => entry.headers['webhook-id'] === events[0].id,
    );
    const headers = received.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer sink-token-not-a-secret-of-the-gateway');
    // The library checks the timestamp against the real time; the gateway signed with the pinned clock's.
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
      expect(new Webhook(signingSecret).verify(received.body, headers)).toMatchObject({
        id: events[0].id,
      });
    } finally {
      jest.useRealTimers();
    }

    const audits = (await auditOf('push.upstream_notification')).filter(
      (row) => row.detail.eventId === event.id,
    );
    expect(
      audits.map((row) => [row.http_status, (row as unknown as { outcome: string }).outcome]),
    ).toEqual([
      [204, 'success'],
      [204, 'success'],
    ]);
    const [first, repeat] = await prisma().$queryRawUnsafe<{ verdict: Record<string, unknown> }[]>(
      `SELECT verdict FROM audit_event WHERE action = 'push.upstream_notification' AND detail->>'eventId' = $1 ORDER BY occurred_at, id`,
      event.id,
    );
    expect(first.verdict).toMatchObject({ outcome: 'swapped' });
    expect(repeat.verdict).toMatchObject({ outcome: 'duplicate' });
    // A later poll (were the number to fall back) would not report this swap again.
    const [row] = await prisma().pushSubscription.findMany({ where: { id } });
    expect(row.seenChangeAt?.toISOString()).toBe('2026-12-06T12:00:30.000Z');
    await unsubscribe(id);
  });

  it('answers the same 401 to a wrong, missing or foreign token and to an unknown id, and emits nothing', async () => {
    const phoneNumber = '+491721000003';
    const id = await subscribe(phoneNumber);
    const neighbour = await subscribe('+491721000013');
    await sync();
    const upstream = upstreamOf(phoneNumber);
    const other = upstreamOf('+491721000013');
    const event = swapped(upstream, '2026-12-06T11:58:00Z');
    const answers = [
      await notify(upstream, event, `Bearer ${upstream.token.slice(0, -1)}x`),
      await notify(upstream, event, null),
      await notify(upstream, event, upstream.token),
      // Another subscription's valid token does not open this one.
      await notify(upstream, event, `Bearer ${other.token}`),
      await notify(
        { ...upstream, path: upstream.path.replace(/[0-9a-f-]{36}$/, randomUUID()) },
        event,
      ),
      await notify(
        { ...upstream, path: upstream.path.replace(/[0-9a-f-]{36}$/, 'not-a-uuid') },
        event,
      ),
    ];
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 401));
    for (const answer of answers) {
      expect(answer.body).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
        message: answers[0].body?.message,
      });
    }
    await deliver();
    expect(eventsOf(id)).toEqual([]);
    // Refused notifications are in the trail too.
    const refused = await prisma().$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::integer AS n FROM audit_event WHERE action = 'push.upstream_notification' AND http_status = 401 AND correlation_id = ANY($1)`,
      answers.map((answer) => answer.correlator),
    );
    expect(refused[0].n).toBe(answers.length);
    // The same event with the right token is taken: nothing of it was consumed by the refusals.
    expect((await notify(upstream, event)).status).toBe(204);
    await deliver();
    expect(eventsOf(id)).toHaveLength(1);
    await unsubscribe(id);
    await unsubscribe(neighbour);
  });

  it('refuses a notification that is not a CloudEvent of this subscription (400) and emits nothing', async () => {
    const phoneNumber = '+491721000004';
    const id = await subscribe(phoneNumber);
    await sync();
    const upstream = upstreamOf(phoneNumber);
    const good = swapped(upstream, '2026-12-06T11:58:00Z');
    for (const bad of [
      { ...good, specversion: '0.3' },
      { ...good, type: 'org.example.other' },
      { ...good, time: 'yesterday' },
      { ...good, data: { ...good.data, subscriptionId: 'op-sub-someone-else' } },
      { ...good, data: { ...good.data, phoneNumber: '+491721999999' } },
    ]) {
      const answer = await notify(upstream, bad);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
    }
    await deliver();
    expect(eventsOf(id)).toEqual([]);
    await unsubscribe(id);
  });

  it('shares one upstream subscription between clients of a number, notifies each, and keeps each client to its own subscriptions', async () => {
    const phoneNumber = '+491721000005';
    const mine = await subscribe(phoneNumber);
    const theirs = await subscribe(phoneNumber, otherClient);
    const before = createCalls().length;
    await sync();
    expect(createCalls().length - before).toBe(1);
    expect(await statusOf(mine)).toBe('ACTIVE');
    expect(await statusOf(theirs, otherClient)).toBe('ACTIVE');
    expect(
      (await callAs(app, otherClient, 'GET', `${SIM_PATH}/${mine}`, undefined, clock.now())).status,
    ).toBe(404);
    expect(
      (await callAs(app, otherClient, 'DELETE', `${SIM_PATH}/${mine}`, undefined, clock.now()))
        .status,
    ).toBe(404);

    const upstream = upstreamOf(phoneNumber);
    expect((await notify(upstream, swapped(upstream, '2026-12-06T11:57:00Z'))).status).toBe(204);
    await deliver();
    expect(eventsOf(mine)).toHaveLength(1);
    expect(eventsOf(theirs)).toHaveLength(1);

    // A client joining later uses the same upstream subscription.
    await unsubscribe(theirs, otherClient);
    const later = await subscribe(phoneNumber, otherClient);
    await sync();
    expect(createCalls().length - before).toBe(1);
    expect(
      deleteCalls().filter((call) => call.path.endsWith(`/${upstream.operatorId}`)),
    ).toHaveLength(0);
    expect(await statusOf(later, otherClient)).toBe('ACTIVE');
    await unsubscribe(mine);
    await unsubscribe(later, otherClient);
    await sync();
  });

  it('deletes the upstream subscription when its last client subscription is deleted, and answers 410 to later notifications', async () => {
    const phoneNumber = '+491721000006';
    const first = await subscribe(phoneNumber);
    const second = await subscribe(phoneNumber, otherClient);
    await sync();
    const upstream = upstreamOf(phoneNumber);
    await unsubscribe(first);
    await sync();
    expect(
      deleteCalls().filter((call) => call.path.endsWith(`/${upstream.operatorId}`)),
    ).toHaveLength(0);
    await unsubscribe(second, otherClient);
    expect(await sync()).toMatchObject({ deleted: 1 });
    const deletes = deleteCalls().filter(
      (call) => call.path === `${SUBSCRIPTIONS}/${upstream.operatorId}`,
    );
    expect(deletes).toHaveLength(1);
    expect(deletes[0].authorization).toMatch(/^Bearer token-/);
    const [audit] = (await auditOf('push.upstream_unsubscribed')).filter(
      (row) => row.detail.operatorSubscriptionId === upstream.operatorId,
    );
    // The fake answers 200 to a DELETE (CAMARA: 204, or 202 when asynchronous; all count as deleted).
    expect(audit).toMatchObject({
      outcome: 'success',
      upstream: [expect.objectContaining({ status: 200 })],
    });

    const late = await notify(upstream, swapped(upstream, '2026-12-06T11:56:00Z'));
    expect(late.status).toBe(410);
    await deliver();
    expect(eventsOf(first)).toEqual([expect.objectContaining({ type: SIM_ENDED })]);
  });

  it('falls back to polling, with the reason in the audit trail, when the operator refuses to subscribe', async () => {
    const phoneNumber = '+491721000007';
    operatorCreates(503);
    try {
      const id = await subscribe(phoneNumber);
      expect(await sync()).toMatchObject({ subscribed: 0, fellBack: 1 });
      expect(await statusOf(id)).toBe('ACTIVATION_REQUESTED');
      const [audit] = (await auditOf('push.upstream_subscribe_failed')).filter((row) =>
        (row.detail.subscriptionIds as string[]).includes(id),
      );
      expect(audit).toMatchObject({
        outcome: 'failure',
        operator_id: 'CAMARA_SUBS',
        detail: { fallback: 'polling', reason: expect.stringContaining('503') },
        upstream: [expect.objectContaining({ status: 503 })],
      });
      // Not asked again: the number is polled now.
      const asked = createCalls().length;
      operator.behaviours.set(RETRIEVE_DATE, {
        kind: 'answer',
        status: 200,
        body: { latestSimChange: '2026-11-01T08:00:00Z' },
      });
      await poll();
      await sync();
      expect(createCalls().length).toBe(asked);
      expect(pollsOf(phoneNumber)).toBe(1);
      expect(await statusOf(id)).toBe('ACTIVE');
      await unsubscribe(id);
    } finally {
      operatorCreates();
    }
  });

  it('ends the upstream subscription on subscription-ended and polls its numbers from the date last notified', async () => {
    const phoneNumber = '+491721000008';
    const id = await subscribe(phoneNumber);
    await sync();
    const upstream = upstreamOf(phoneNumber);
    expect((await notify(upstream, swapped(upstream, '2026-12-06T12:00:30Z'))).status).toBe(204);
    const ended = await notify(upstream, {
      id: randomUUID(),
      source: 'https://operator.example/notifications',
      specversion: '1.0',
      type: SIM_ENDED,
      time: '2026-12-06T11:30:00Z',
      data: { subscriptionId: upstream.operatorId, terminationReason: 'NETWORK_TERMINATED' },
    });
    expect(ended.status).toBe(204);
    const [row] = await prisma().pushUpstreamSubscription.findMany({
      where: { upstreamId: upstream.operatorId },
    });
    expect(row).toMatchObject({ status: 'ended', reason: 'NETWORK_TERMINATED' });
    // Polled from now: the swap the operator already notified is not sent again; a later one is.
    operator.behaviours.set(RETRIEVE_DATE, {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: '2026-12-06T12:00:30Z' },
    });
    await poll();
    expect(pollsOf(phoneNumber)).toBe(1);
    await deliver();
    expect(eventsOf(id).map((event) => event.type)).toEqual([SIM_SWAPPED]);
    await clock.travel(new Date(NOW.getTime() + 24 * 3_600_000));
    operator.behaviours.set(RETRIEVE_DATE, {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: '2026-12-06T20:00:00Z' },
    });
    await poll();
    await deliver();
    expect(eventsOf(id).map((event) => [event.type, event.time])).toEqual([
      [SIM_SWAPPED, '2026-12-06T12:00:30.000Z'],
      [SIM_SWAPPED, '2026-12-06T20:00:00.000Z'],
    ]);
    await clock.travel(NOW);
    await unsubscribe(id);
  });

  it('takes the end event under its pre-0.3 draft name (subscription-ends) too', async () => {
    const phoneNumber = '+491721000009';
    const id = await subscribe(phoneNumber);
    await sync();
    const upstream = upstreamOf(phoneNumber);
    const ended = await notify(upstream, {
      id: randomUUID(),
      source: 'https://operator.example/notifications',
      specversion: '1.0',
      type: 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ends',
      time: '2026-12-06T11:30:00Z',
      data: { subscriptionId: upstream.operatorId, terminationReason: 'SUBSCRIPTION_EXPIRED' },
    });
    expect(ended.status).toBe(204);
    const [row] = await prisma().pushUpstreamSubscription.findMany({
      where: { upstreamId: upstream.operatorId },
    });
    expect(row).toMatchObject({ status: 'ended', reason: 'SUBSCRIPTION_EXPIRED' });
    const [subscription] = await prisma().pushSubscription.findMany({ where: { id } });
    expect(subscription.nextPollAt).not.toBeNull();
    await unsubscribe(id);
  });

  it('keeps polling the numbers of an operator that does not offer subscriptions', async () => {
    const phoneNumber = '+491731000001';
    const id = await subscribe(phoneNumber);
    const asked = createCalls().length;
    operator.behaviours.set(RETRIEVE_DATE, {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: '2026-11-01T08:00:00Z' },
    });
    await sync();
    await poll();
    expect(createCalls().length).toBe(asked);
    expect(pollsOf(phoneNumber)).toBe(1);
    expect(await statusOf(id)).toBe('ACTIVE');
    await unsubscribe(id);
  });
});
