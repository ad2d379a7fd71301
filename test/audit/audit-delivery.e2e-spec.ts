import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditIntegrityService } from '../../src/modules/audit/audit-integrity.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { createTestClient, signIdentityMatchJwt } from '../support/credentials-factory.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { call, eventsByCorrelation, newCorrelator, withOwner } from './audit-kit.js';

const SWAP_BODY = JSON.stringify({ phoneNumber: '+31612345004' });

describeOnPostgres('no verdict without its audit event', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' });
    client = await createTestClient(app, { products: ['SIM_SWAP'] });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const check = () =>
    call(app, {
      method: 'POST',
      url: '/sim-swap/v2/check',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${signIdentityMatchJwt(client)}`,
      },
      payload: SWAP_BODY,
    });

  it('answers 503 in the contract’s envelope, without the verdict, when the audit write fails', async () => {
    await withOwner(database, (owner) =>
      owner.query(`
        CREATE FUNCTION test_break_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$;
        CREATE TRIGGER test_break_audit BEFORE UPDATE ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION test_break_audit();`),
    );
    let failed: Awaited<ReturnType<typeof check>>;
    try {
      failed = await check();
    } finally {
      await withOwner(database, (owner) =>
        owner.query(
          'DROP TRIGGER test_break_audit ON audit_chain_head; DROP FUNCTION test_break_audit();',
        ),
      );
    }
    expect(failed.status).toBe(503);
    expect(failed.json()).toEqual({
      status: 503,
      code: 'UNAVAILABLE',
      message: expect.any(String),
    });
    expect(failed.body).not.toContain('swapped');
    expect(await eventsByCorrelation(database, [failed.correlator])).toEqual([]);

    const recovered = await check();
    expect(recovered.status).toBe(200);
    expect(recovered.json()).toHaveProperty('swapped');
    expect(await eventsByCorrelation(database, [recovered.correlator])).toHaveLength(1);
  });

  it('never leaves a delivered verdict without its event when the gateway is killed (SIGKILL) during a burst', async () => {
    const gateway = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      JWT_KEY_RATE_LIMIT_PER_SECOND: '0',
      MIGRATE_ON_START: 'false',
    });
    const token = signIdentityMatchJwt(client);
    const delivered: string[] = [];
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const correlator = newCorrelator('burst');
        try {
          const response = await fetch(`${gateway.url}/sim-swap/v2/check`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'x-correlator': correlator,
            },
            body: SWAP_BODY,
          });
          const body = (await response.json()) as Record<string, unknown>;
          if (response.status === 200 && 'swapped' in body) delivered.push(correlator);
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: 24 }, () => worker());
    const deadline = Date.now() + 20_000;
    while (delivered.length < 300 && Date.now() < deadline)
      await new Promise((resolve) => setImmediate(resolve));
    await gateway.stop('SIGKILL');
    stop = true;
    await Promise.all(workers);

    expect(delivered.length).toBeGreaterThanOrEqual(300);
    const events = await eventsByCorrelation(database, delivered);
    const recorded = new Set(events.map((event) => event.correlation_id));
    expect(delivered.filter((correlator) => !recorded.has(correlator))).toEqual([]);
    // After the crash the chain is whole: an interrupted batch left nothing half-written.
    await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({ ok: true });
  }, 60_000);
});
