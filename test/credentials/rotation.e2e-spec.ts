import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { CredentialsMaintenanceService } from '../../src/modules/credentials/credentials-maintenance.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
  jwtHeaders,
} from '../support/credentials-factory.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { ManualClock, startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

const HOUR = 3_600_000;

/** Polls until `check` passes or the deadline (ms) is reached; returns whether it passed. */
async function eventually(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describeOnPostgres('rotation, revocation and the credentials job across instances', () => {
  let database: TestDatabase;
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  let clock: ManualClock;
  let db: pg.Client;
  let adminKey: string;
  const overrides = { JWT_KEY_RATE_LIMIT_PER_SECOND: '0', CREDENTIAL_CACHE_TTL_MS: '1000' };

  const probe = (app: NestFastifyApplication, headers: Record<string, string>) =>
    app.inject({ method: 'GET', url: '/v1/api/probe', headers });
  const admin = (
    app: NestFastifyApplication,
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: object,
  ) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${adminKey}` },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    clock = new ManualClock(new Date());
    // Both instances share the pinned clock, as two hosts with synchronised clocks would.
    first = await startCredentialsTestApp(database, { imports: [ProbeModule], clock, overrides });
    second = await startCredentialsTestApp(database, { imports: [ProbeModule], clock, overrides });
    db = await database.connect();
    adminKey = (await createTestAdminKey(first, 'admin')).key;
  });

  afterAll(async () => {
    await db?.end();
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  describe('self-service API key rotation', () => {
    let client: CreatedClient;

    beforeEach(async () => {
      clock.set(new Date());
      client = await createTestClient(first);
    });

    it('issues a new key through /v1/api/clients/rotate-key; the old key works on another instance until the grace period ends', async () => {
      const response = await first.inject({
        method: 'POST',
        url: '/v1/api/clients/rotate-key',
        headers: apiKeyHeaders(client),
        payload: { secretKey: client.clientSecret },
      });
      expect(response.statusCode).toBe(200);
      const newApiKey: string = response.json().data.newApiKey;
      expect(newApiKey).toMatch(/^mig_test_/);
      expect(newApiKey).not.toBe(client.apiKey);
      expect(response.body).not.toContain(client.clientSecret);

      expect(
        (await probe(second, apiKeyHeaders({ ...client, apiKey: newApiKey }))).statusCode,
      ).toBe(200);
      expect((await probe(second, apiKeyHeaders(client))).statusCode).toBe(200);

      clock.advance(24 * HOUR + 1_000);
      expect(
        await eventually(
          async () => (await probe(second, apiKeyHeaders(client))).statusCode === 401,
          5_000,
        ),
      ).toBe(true);
      expect(
        (await probe(second, apiKeyHeaders({ ...client, apiKey: newApiKey }))).statusCode,
      ).toBe(200);
    });

    it('a second rotation ends the pending grace period of the first key at once', async () => {
      const rotate = async (apiKey: string): Promise<string> => {
        const response = await first.inject({
          method: 'POST',
          url: '/v1/api/me/api-key/rotate',
          headers: apiKeyHeaders({ ...client, apiKey }),
          payload: { secretKey: client.clientSecret },
        });
        expect(response.statusCode).toBe(200);
        return response.json().data.newApiKey as string;
      };
      const secondKey = await rotate(client.apiKey);
      const thirdKey = await rotate(secondKey);
      expect(
        await eventually(
          async () => (await probe(second, apiKeyHeaders(client))).statusCode === 401,
          5_000,
        ),
      ).toBe(true);
      expect(
        (await probe(second, apiKeyHeaders({ ...client, apiKey: secondKey }))).statusCode,
      ).toBe(200);
      expect((await probe(second, apiKeyHeaders({ ...client, apiKey: thirdKey }))).statusCode).toBe(
        200,
      );
    });

    it('answers a wrong client secret with the uniform 401, issues nothing, and audits a failed rotation', async () => {
      const other = await createTestClient(first);
      for (const secretKey of ['wrong', other.clientSecret, client.apiKey]) {
        const response = await first.inject({
          method: 'POST',
          url: '/v1/api/clients/rotate-key',
          headers: apiKeyHeaders(client),
          payload: { secretKey },
        });
        expect(response.statusCode).toBe(401);
        expect(response.json().messages[0]).toMatchObject({
          code: 'UNAUTHORIZED',
          message: 'Unauthorized',
        });
      }
      const keys = await db.query(
        "SELECT count(*)::int AS n FROM credential WHERE client_id = $1 AND kind = 'api_key'",
        [client.clientId],
      );
      expect(keys.rows[0].n).toBe(1);
      const failures = await db.query(
        "SELECT count(*)::int AS n FROM audit_event WHERE client_id = $1 AND action = 'credential.rotate' AND outcome = 'failure'",
        [client.clientId],
      );
      expect(failures.rows[0].n).toBeGreaterThanOrEqual(3);
    });
  });

  describe('admin rotation and revocation', () => {
    it('rotates a JWT key: a new kid, the old kid valid during the grace period and not after', async () => {
      clock.set(new Date());
      const client = await createTestClient(first);
      const response = await admin(
        first,
        'POST',
        `/admin/v1/clients/${client.clientId}/credentials/${client.jwtKeyId}/rotate`,
        { gracePeriodSeconds: 600 },
      );
      expect(response.statusCode).toBe(200);
      const rotated = response.json();
      expect(rotated.credential).toMatchObject({ kind: 'jwt_key', status: 'active' });
      expect(rotated.credential.id).not.toBe(client.jwtKeyId);
      const successor = {
        jwtKeyId: rotated.credential.id as string,
        jwtSecret: rotated.secret as string,
      };
      const call = (app: NestFastifyApplication, keys: { jwtKeyId: string; jwtSecret: string }) =>
        app.inject({
          method: 'GET',
          url: '/mobile-identity/probe',
          headers: jwtHeaders(keys, { iat: Math.floor(clock.now().getTime() / 1000) }),
        });
      expect((await call(second, successor)).statusCode).toBe(200);
      expect((await call(second, client)).statusCode).toBe(200);
      clock.advance(601_000);
      expect(
        await eventually(async () => (await call(second, client)).statusCode === 401, 5_000),
      ).toBe(true);
      expect((await call(second, successor)).statusCode).toBe(200);
    });

    it('revocation on one instance takes effect on the other within the cache bound', async () => {
      clock.set(new Date());
      const client = await createTestClient(first);
      expect((await probe(second, apiKeyHeaders(client))).statusCode).toBe(200); // now cached on the second instance
      const listed = (
        await admin(first, 'GET', `/admin/v1/clients/${client.clientId}/credentials`)
      ).json();
      const apiKey = listed.items.find((item: { kind: string }) => item.kind === 'api_key');
      const revoked = await admin(
        first,
        'POST',
        `/admin/v1/clients/${client.clientId}/credentials/${apiKey.id}/revoke`,
      );
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().credential).toMatchObject({ status: 'revoked' });
      // CREDENTIAL_CACHE_TTL_MS is 1 s here; the deadline leaves room for a slow machine.
      expect(
        await eventually(
          async () => (await probe(second, apiKeyHeaders(client))).statusCode === 401,
          10_000,
        ),
      ).toBe(true);
      const again = await admin(
        first,
        'POST',
        `/admin/v1/clients/${client.clientId}/credentials/${apiKey.id}/revoke`,
      );
      expect(again.statusCode).toBe(409);
    });

    it('suspending a client stops all its credentials on every instance', async () => {
      clock.set(new Date());
      const client = await createTestClient(first);
      expect((await probe(second, apiKeyHeaders(client))).statusCode).toBe(200);
      const suspended = await admin(first, 'PATCH', `/admin/v1/clients/${client.clientId}`, {
        status: 'suspended',
      });
      expect(suspended.json()).toMatchObject({ status: 'suspended' });
      expect(
        await eventually(
          async () => (await probe(second, apiKeyHeaders(client))).statusCode === 401,
          10_000,
        ),
      ).toBe(true);
    });
  });

  describe('the credentials job', () => {
    it('two instances running it at the same moment do the work once', async () => {
      clock.set(new Date());
      const client = await createTestClient(first);
      const rotated = await admin(
        first,
        'POST',
        `/admin/v1/clients/${client.clientId}/credentials/${client.jwtKeyId}/rotate`,
        { gracePeriodSeconds: 60 },
      );
      expect(rotated.statusCode).toBe(200);
      clock.advance(61_000);
      const reports = await Promise.all([
        first.get(CredentialsMaintenanceService).runDue(),
        second.get(CredentialsMaintenanceService).runDue(),
      ]);
      const expired = reports.reduce((sum, report) => sum + report.expired, 0);
      expect(expired).toBeGreaterThanOrEqual(1);
      const events = await db.query(
        "SELECT count(*)::int AS n FROM audit_event WHERE action = 'credential.expire' AND credential_fingerprint = (SELECT fingerprint FROM credential WHERE id = $1)",
        [client.jwtKeyId],
      );
      expect(events.rows[0].n).toBe(1);
      const row = await db.query('SELECT status FROM credential WHERE id = $1', [client.jwtKeyId]);
      expect(row.rows[0].status).toBe('expired');
      // Idempotent: running again changes nothing.
      const again = await first.get(CredentialsMaintenanceService).runDue();
      expect(again.expired).toBe(0);
    });

    it('reports credentials past the maximum age once, without rotating them', async () => {
      clock.set(new Date());
      const client = await createTestClient(first);
      clock.advance(91 * 24 * HOUR);
      const report = await first.get(CredentialsMaintenanceService).runDue();
      expect(report.dueForRotation).toBeGreaterThanOrEqual(3);
      const due = await db.query(
        "SELECT count(*)::int AS n FROM audit_event WHERE action = 'credential.rotation_due' AND client_id = $1",
        [client.clientId],
      );
      expect(due.rows[0].n).toBe(3);
      expect((await probe(second, apiKeyHeaders(client))).statusCode).toBe(200);
      await first.get(CredentialsMaintenanceService).runDue();
      const dueAgain = await db.query(
        "SELECT count(*)::int AS n FROM audit_event WHERE action = 'credential.rotation_due' AND client_id = $1",
        [client.clientId],
      );
      expect(dueAgain.rows[0].n).toBe(3);
    });
  });
});
