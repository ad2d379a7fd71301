import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditIntegrityService } from '../../src/modules/audit/audit-integrity.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { createTestClient, signIdentityMatchJwt } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { eventsByCorrelation, newCorrelator } from './audit-kit.js';

/** A transaction holding the chain head (a stuck job, an operator's session) must not hang the gateway. */
describeOnPostgres('the chain head locked for 20 s', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, {
      JWT_KEY_RATE_LIMIT_PER_SECOND: '0',
      REQUEST_DEADLINE_MS: '5000',
      AUDIT_STALL_THRESHOLD_MS: '2000',
    });
    client = await createTestClient(app, { products: ['SIM_SWAP'] });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const check = async (correlator: string) => {
    const started = performance.now();
    const reply = await app.inject({
      method: 'POST',
      url: '/sim-swap/v2/check',
      headers: {
        authorization: `Bearer ${signIdentityMatchJwt(client)}`,
        'content-type': 'application/json',
        'x-correlator': correlator,
      },
      payload: JSON.stringify({ phoneNumber: '+31612345004' }),
    });
    return { status: reply.statusCode, body: reply.body, ms: performance.now() - started };
  };
  const readiness = async () =>
    (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode;

  it('answers 503 within the deadline, reports not ready, and recovers with nothing lost', async () => {
    expect(await readiness()).toBe(200);
    const holder = await database.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM audit_chain_head WHERE id = 1 FOR UPDATE');
    const sent: string[] = [];
    const during: { status: number; body: string; ms: number }[] = [];
    const readyDuring: number[] = [];
    const heldUntil = Date.now() + 20_000;
    try {
      while (Date.now() < heldUntil - 1_500) {
        const correlator = newCorrelator('head-lock');
        sent.push(correlator);
        during.push(await check(correlator));
        readyDuring.push(await readiness());
      }
    } finally {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, heldUntil - Date.now())));
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(during.length).toBeGreaterThan(3);
    for (const answer of during) {
      expect(answer.status).toBe(503);
      expect(answer.body).not.toContain('swapped');
      expect(answer.ms).toBeLessThan(5_500);
    }
    expect(readyDuring.every((status) => status === 503)).toBe(true);

    // Released: ready again by itself, verdicts again, and every refused request has its event.
    expect(await readiness()).toBe(200);
    const after = newCorrelator('head-lock');
    sent.push(after);
    expect((await check(after)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    let recorded = await eventsByCorrelation(database, sent);
    while (recorded.length < sent.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      recorded = await eventsByCorrelation(database, sent);
    }
    expect(recorded.map((event) => event.correlation_id).sort()).toEqual([...sent].sort());
    expect(recorded.filter((event) => event.http_status === 503)).toHaveLength(during.length);
    await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({ ok: true });
  }, 60_000);
});
