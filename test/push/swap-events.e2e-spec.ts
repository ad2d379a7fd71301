import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  auditEventOf,
  createSwapClient,
  startSimSwapApp,
  type SwapClient,
} from '../sim-swap/sim-swap-test-kit.js';
import {
  callAs,
  DEVICE_PATH,
  SIM_ENDED,
  SIM_PATH,
  SIM_SWAPPED,
  subscriptionRequest,
} from './push-test-kit.js';

const SINK = 'https://receiver.example/hooks';

/** Sandbox overrides are the event source of sandbox operators: a changed date is a swap. */
describe('Swap events from sandbox overrides (the outbox)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let adminKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database);
    client = await createSwapClient(app);
    adminKey = (await app.get(CredentialIssuanceService).createAdminKey('admin')).key;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const sql = <T>(query: string, ...values: unknown[]) =>
    app.get(PrismaService).client.$queryRawUnsafe<T[]>(query, ...values);
  const override = async (phoneNumber: string, body: Record<string, string | null>) => {
    const correlator = `sandbox-${randomUUID()}`;
    const response = await app.inject({
      method: 'PUT',
      url: `/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`,
      headers: {
        authorization: `Bearer ${adminKey}`,
        'content-type': 'application/json',
        'x-correlator': correlator,
      },
      payload: JSON.stringify(body),
    });
    return { status: response.statusCode, correlator };
  };
  const outboxOf = (subscriptionId: string) =>
    sql<{ type: string; termination_reason: string | null; occurred_at: Date; status: string }>(
      'SELECT type, termination_reason, occurred_at, status::text FROM push_delivery WHERE subscription_id = $1::uuid ORDER BY type DESC',
      subscriptionId,
    );
  const subscribe = async (
    phoneNumber: string,
    config: Record<string, unknown> = {},
    path = SIM_PATH,
    type = SIM_SWAPPED,
  ) => {
    const answer = await callAs(app, client, 'POST', path, {
      ...subscriptionRequest(SINK, phoneNumber, {}, config),
      types: [type],
    });
    expect(answer.status).toBe(201);
    return (answer.body as { id: string }).id;
  };

  it('writes one swapped event per ACTIVE subscription to the number, with the override and its audit event', async () => {
    const first = await subscribe('+31612345010');
    const swappedAt = '2026-11-30T08:00:00.000Z';
    const answer = await override('+31612345010', {
      latestSimChange: swappedAt,
      latestDeviceChange: null,
    });
    expect(answer.status).toBe(200);
    const [event] = await auditEventOf(app, answer.correlator);
    expect(event).toMatchObject({
      action: 'sandbox.sim_swap.set',
      http_status: 200,
      phone_masked: '+*********10',
    });
    const outbox = await outboxOf(first);
    expect(outbox).toEqual([
      {
        type: SIM_SWAPPED,
        termination_reason: null,
        occurred_at: new Date(swappedAt),
        status: 'pending',
      },
    ]);
    // The same date again is no new swap.
    await override('+31612345010', { latestSimChange: swappedAt, latestDeviceChange: null });
    expect(await outboxOf(first)).toHaveLength(1);
  });

  it('sends nothing to subscriptions of other numbers, of the other kind, or no longer live', async () => {
    const other = await subscribe('+31612345011');
    const device = await subscribe(
      '+31612345012',
      {},
      DEVICE_PATH,
      'org.camaraproject.device-swap-subscriptions.v0.swapped',
    );
    const deleted = await subscribe('+31612345012', {}, SIM_PATH);
    await callAs(app, client, 'DELETE', `${SIM_PATH}/${deleted}`);
    await override('+31612345012', {
      latestSimChange: '2026-11-30T09:00:00.000Z',
      latestDeviceChange: null,
    });
    expect(await outboxOf(other)).toEqual([]);
    expect(await outboxOf(device)).toEqual([]);
    // Only the subscription-ended of its deletion.
    expect((await outboxOf(deleted)).map((row) => row.termination_reason)).toEqual([
      'SUBSCRIPTION_DELETED',
    ]);

    await override('+31612345012', {
      latestSimChange: '2026-11-30T09:00:00.000Z',
      latestDeviceChange: '2026-11-30T10:00:00.000Z',
    });
    expect((await outboxOf(device)).map((row) => row.type)).toEqual([
      'org.camaraproject.device-swap-subscriptions.v0.swapped',
    ]);
  });

  it('ends a subscription at its maximum number of events: EXPIRED, with subscription-ended MAX_EVENTS_REACHED in the same statement', async () => {
    const id = await subscribe('+31612345013', { subscriptionMaxEvents: 2 });
    await override('+31612345013', {
      latestSimChange: '2026-11-30T08:00:00.000Z',
      latestDeviceChange: null,
    });
    expect((await callAs(app, client, 'GET', `${SIM_PATH}/${id}`)).body).toMatchObject({
      status: 'ACTIVE',
    });
    await override('+31612345013', {
      latestSimChange: '2026-11-30T09:00:00.000Z',
      latestDeviceChange: null,
    });
    expect((await callAs(app, client, 'GET', `${SIM_PATH}/${id}`)).body).toMatchObject({
      status: 'EXPIRED',
    });
    await override('+31612345013', {
      latestSimChange: '2026-11-30T10:00:00.000Z',
      latestDeviceChange: null,
    });
    const outbox = await outboxOf(id);
    expect(outbox.map((row) => [row.type, row.termination_reason])).toEqual([
      [SIM_SWAPPED, null],
      [SIM_SWAPPED, null],
      [SIM_ENDED, 'MAX_EVENTS_REACHED'],
    ]);
  });

  it('writes nothing, neither override nor events, when the request is refused (not a sandbox number)', async () => {
    const before = await sql<{ n: number }>('SELECT count(*)::integer AS n FROM push_delivery');
    const answer = await override('+999123456789', {
      latestSimChange: '2026-11-30T08:00:00.000Z',
      latestDeviceChange: null,
    });
    expect(answer.status).toBe(404);
    expect(await sql<{ n: number }>('SELECT count(*)::integer AS n FROM push_delivery')).toEqual(
      before,
    );
    expect((await auditEventOf(app, answer.correlator))[0]).toMatchObject({ http_status: 404 });
  });
});
