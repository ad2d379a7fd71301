import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import { DeliveryService } from '../../src/modules/push/delivery.service.js';
import { SwapPollingService } from '../../src/modules/swap-polling/swap-polling.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { FakeCamaraOperator } from '../sim-swap/fake-camara-operator.js';
import {
  createSwapClient,
  PinnedClock,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import { callAs, SIM_ENDED, SIM_PATH, SIM_SWAPPED, subscriptionRequest } from './push-test-kit.js';
import { WebhookReceiver } from './webhook-receiver.js';

const NOW = new Date('2026-12-05T12:00:00.000Z');
const INTERVAL_S = 60;
/** Past the latest jittered due time (1.5 × the interval). */
const NEXT_POLL_MS = INTERVAL_S * 1_500 + 1_000;
const RETRIEVE_DATE = 'sim-swap/v2/retrieve-date';

interface CloudEvent {
  id: string;
  type: string;
  time: string;
  data: { subscriptionId: string; phoneNumber?: string; terminationReason?: string };
}

/**
 * `camara` operators have no event feed here, so the gateway polls their retrieve-date: a fake
 * CAMARA operator on 127.0.0.1, a pinned clock (each test runs the ticks itself), and a real sink.
 */
describe('Swap events of camara operators (retrieve-date polling)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let operator: FakeCamaraOperator;
  let receiver: WebhookReceiver;
  const clock = new PinnedClock(NOW);

  beforeAll(async () => {
    operator = await new FakeCamaraOperator().start();
    receiver = await new WebhookReceiver().start();
    database = await createTestDatabase();
    app = await startSimSwapApp(database, {
      clock,
      environment: {
        PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1',
        PUSH_ATTEMPT_TIMEOUT_MS: '2000',
        PUSH_CAMARA_POLL_INTERVAL_S: String(INTERVAL_S),
        PUSH_CAMARA_POLL_MAX_PER_TICK: '2',
        // The failing-operator case must reach the operator on every tick, not an open breaker.
        SIM_SWAP_BREAKER_VOLUME_THRESHOLD: '10000',
      },
    });
    client = await createSwapClient(app);
    await app.get(OperatorsService).create({
      id: 'CAMARA_POLLED',
      name: 'CAMARA_POLLED (fake CAMARA operator)',
      country: 'DE',
      numberPrefixes: ['+49171'],
      adapterKind: 'CAMARA',
      monitoredPeriodDays: null,
      settings: {
        baseUrl: operator.baseUrl,
        tokenUrl: operator.tokenUrl,
        clientId: operator.clientId,
      },
    });
    await app
      .get(OperatorSecretsService)
      .put('CAMARA_POLLED', 'clientSecret', operator.clientSecret);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await operator?.stop();
    await database?.drop();
  });

  const tick = () => app.get(SwapPollingService).pollDue();
  /** Delivers everything due now to the sink. */
  const deliver = async () => {
    while ((await app.get(DeliveryService).runOnce()) > 0);
  };
  const advance = (ms: number) => {
    clock.set(new Date(clock.now().getTime() + ms));
  };
  const operatorAnswers = (latestSimChange: string | null) =>
    operator.behaviours.set(RETRIEVE_DATE, {
      kind: 'answer',
      status: 200,
      body: { latestSimChange },
    });
  const operatorFails = () =>
    operator.behaviours.set(RETRIEVE_DATE, {
      kind: 'answer',
      status: 503,
      body: { status: 503, code: 'UNAVAILABLE', message: 'down' },
    });
  const pollsOf = (phoneNumber: string) =>
    operator.callsTo(RETRIEVE_DATE).filter((call) => call.body.phoneNumber === phoneNumber).length;
  const eventsOf = (subscriptionId: string): CloudEvent[] =>
    receiver.received
      .map((event) => JSON.parse(event.body) as CloudEvent)
      .filter((event) => event.data.subscriptionId === subscriptionId);
  const statusOf = async (id: string) =>
    (
      (await callAs(app, client, 'GET', `${SIM_PATH}/${id}`, undefined, clock.now())).body as {
        status: string;
      }
    ).status;
  const subscribe = async (phoneNumber: string, config: Record<string, unknown> = {}) => {
    const created = await callAs(
      app,
      client,
      'POST',
      SIM_PATH,
      subscriptionRequest(`${receiver.url}/hook`, phoneNumber, {}, config),
      clock.now(),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'ACTIVATION_REQUESTED' });
    return (created.body as { id: string }).id;
  };
  const unsubscribe = async (id: string) => {
    expect(
      (await callAs(app, client, 'DELETE', `${SIM_PATH}/${id}`, undefined, clock.now())).status,
    ).toBe(204);
  };

  it('activates on the first successful poll without an event, then delivers exactly one swapped event when the date moves later', async () => {
    const phoneNumber = '+491711000001';
    const id = await subscribe(phoneNumber);
    operatorAnswers('2026-10-01T08:00:00Z');
    await tick();
    expect(await statusOf(id)).toBe('ACTIVE');
    await deliver();
    expect(eventsOf(id)).toEqual([]);

    // Not due again before its next poll time.
    await tick();
    expect(pollsOf(phoneNumber)).toBe(1);

    // The same date: polled, nothing sent.
    advance(NEXT_POLL_MS);
    await tick();
    expect(pollsOf(phoneNumber)).toBe(2);
    await deliver();
    expect(eventsOf(id)).toEqual([]);

    operatorAnswers('2026-12-05T11:58:00Z');
    advance(NEXT_POLL_MS);
    await tick();
    await deliver();
    // Later polls that see the same date add nothing.
    advance(NEXT_POLL_MS);
    await tick();
    await deliver();
    expect(pollsOf(phoneNumber)).toBe(4);
    expect(eventsOf(id)).toEqual([
      expect.objectContaining({
        type: SIM_SWAPPED,
        time: '2026-12-05T11:58:00.000Z',
        data: { subscriptionId: id, phoneNumber },
      }),
    ]);

    const [audit] = await app
      .get(PrismaService)
      .client.$queryRawUnsafe<
        { phone_masked: string; operator_id: string; detail: Record<string, unknown> }[]
      >(
        `SELECT phone_masked, operator_id, detail FROM audit_event WHERE action = 'push.swap_detected' AND detail->>'subscriptionId' = $1`,
        id,
      );
    expect(audit).toMatchObject({
      operator_id: 'CAMARA_POLLED',
      detail: { eventId: eventsOf(id)[0].id, changedAt: '2026-12-05T11:58:00.000Z' },
    });
    expect(audit.phone_masked).not.toContain('1000001');
    await unsubscribe(id);
  });

  it('sends nothing when the operator answers an earlier date, or none', async () => {
    const phoneNumber = '+491711000002';
    const id = await subscribe(phoneNumber);
    operatorAnswers('2026-11-01T08:00:00Z');
    await tick();
    operatorAnswers('2026-10-01T08:00:00Z');
    advance(NEXT_POLL_MS);
    await tick();
    operatorAnswers(null);
    advance(NEXT_POLL_MS);
    await tick();
    // Back to the date it had seen: no swap either.
    operatorAnswers('2026-11-01T08:00:00Z');
    advance(NEXT_POLL_MS);
    await tick();
    await deliver();
    expect(pollsOf(phoneNumber)).toBe(4);
    expect(eventsOf(id)).toEqual([]);
    await unsubscribe(id);
  });

  it('sends nothing while the operator fails, asks again at the next tick, and sends the swap once it recovers', async () => {
    const phoneNumber = '+491711000003';
    const id = await subscribe(phoneNumber);
    operatorFails();
    await tick();
    // Never activated while the operator cannot answer.
    expect(await statusOf(id)).toBe('ACTIVATION_REQUESTED');
    operatorAnswers('2026-11-01T08:00:00Z');
    await tick();
    expect(await statusOf(id)).toBe('ACTIVE');

    operatorFails();
    advance(NEXT_POLL_MS);
    expect(await tick()).toMatchObject({ failed: 1 });
    // The next tick, with the clock unchanged: it is still due.
    expect(await tick()).toMatchObject({ failed: 1 });
    expect(pollsOf(phoneNumber)).toBe(4);
    await deliver();
    expect(eventsOf(id)).toEqual([]);

    operatorAnswers('2026-12-05T11:00:00Z');
    await tick();
    await deliver();
    expect(eventsOf(id).map((event) => [event.type, event.time])).toEqual([
      [SIM_SWAPPED, '2026-12-05T11:00:00.000Z'],
    ]);
    await unsubscribe(id);
  });

  it('ends the subscription with its last allowed event (MAX_EVENTS_REACHED) and stops polling it', async () => {
    const phoneNumber = '+491711000004';
    const id = await subscribe(phoneNumber, { subscriptionMaxEvents: 1 });
    operatorAnswers('2026-11-01T08:00:00Z');
    await tick();
    operatorAnswers('2026-12-05T10:00:00Z');
    advance(NEXT_POLL_MS);
    await tick();
    expect(await statusOf(id)).toBe('EXPIRED');
    await deliver();
    expect(eventsOf(id).map((event) => [event.type, event.data.terminationReason])).toEqual([
      [SIM_SWAPPED, undefined],
      [SIM_ENDED, 'MAX_EVENTS_REACHED'],
    ]);
    advance(NEXT_POLL_MS);
    await tick();
    expect(pollsOf(phoneNumber)).toBe(2);
  });

  it('asks each operator at most PUSH_CAMARA_POLL_MAX_PER_TICK times per tick, on one instance at a time', async () => {
    const numbers = ['+491711000005', '+491711000006', '+491711000007'];
    const ids = [
      await subscribe(numbers[0]),
      await subscribe(numbers[1]),
      await subscribe(numbers[2]),
    ];
    operatorAnswers('2026-11-01T08:00:00Z');
    const calls = () => operator.callsTo(RETRIEVE_DATE).length;
    const before = calls();
    // Two ticks at once: one holds the lock, the other skips.
    const reports = await Promise.all([tick(), tick()]);
    expect(reports.filter((report) => report === undefined)).toHaveLength(1);
    expect(calls() - before).toBe(2);
    await tick();
    expect(calls() - before).toBe(3);
    expect(numbers.map(pollsOf)).toEqual([1, 1, 1]);
    expect(await Promise.all(ids.map(statusOf))).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
  });
});
