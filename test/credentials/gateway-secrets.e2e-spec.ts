import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { Environment } from '../../src/common/config/environment.js';
import { SecretBox } from '../../src/common/crypto/secret-box.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { resealColumns } from '../../src/common/database/sealed-columns.js';
import { SecretsResealService } from '../../src/modules/secrets/secrets-reseal.service.js';
import { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import { ProofKeysService } from '../../src/modules/verification/proof-keys.service.js';
import { createTestClient, jwtHeaders } from '../support/credentials-factory.js';
import {
  createTestDatabase,
  describeOnPostgres,
  TEST_SECRETS,
  type TestDatabase,
} from '../support/test-database.js';
import { ManualClock, startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

const SECOND_KEK = '2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA';

describeOnPostgres(
  'the gateway’s own secrets: operator credentials, proof keys, KEK rotation',
  () => {
    let database: TestDatabase;
    let app: NestFastifyApplication;
    let db: pg.Client;
    const clock = new ManualClock(new Date());

    beforeAll(async () => {
      database = await createTestDatabase();
      app = await startCredentialsTestApp(database, {
        imports: [ProbeModule],
        clock,
        overrides: { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' },
      });
      db = await database.connect();
    });

    afterAll(async () => {
      await db?.end();
      await app?.close();
      await database?.drop();
    });

    it('stores an operator secret sealed and gives it back', async () => {
      const secrets = app.get(OperatorSecretsService);
      await secrets.put('ZAIN_JO', 'oauth_client_secret', 'upstream-secret-value-123');
      expect(await secrets.get('ZAIN_JO', 'oauth_client_secret')).toBe('upstream-secret-value-123');
      expect(await secrets.get('ZAIN_JO', 'missing')).toBeUndefined();
      const row = await db.query('SELECT sealed_value, sealed_key_version FROM operator_secret');
      expect(row.rows[0].sealed_value).not.toContain('upstream-secret-value-123');
      expect(row.rows[0].sealed_key_version).toBe(1);
    });

    it('keeps a rolled proof key usable for its retention, then forgets it', async () => {
      const keys = app.get(ProofKeysService);
      const first = await keys.current();
      expect(first.key).toHaveLength(32);
      const next = await keys.roll();
      expect(next).not.toBe(first.kid);
      expect((await keys.current()).kid).toBe(next);
      expect(Buffer.from((await keys.find(first.kid))!.key)).toEqual(Buffer.from(first.key));
      clock.advance(86_400_000 + 1_000);
      expect(await keys.find(first.kid)).toBeUndefined();
      expect(await keys.find(next)).toBeDefined();
      expect(await keys.find('not-a-kid')).toBeUndefined();
    });

    it('rolls the proof key only when due, once however many instances run the job', async () => {
      const keys = app.get(ProofKeysService);
      const current = await keys.roll(); // a fresh key, whatever the tests before did to the clock
      expect(await keys.rollIfDue()).toBeNull();
      clock.advance(app.get(Environment).PROOF_KEY_MAX_AGE_HOURS * 3_600_000 + 1_000);
      const other = await startCredentialsTestApp(database, {
        imports: [ProbeModule],
        clock,
        overrides: { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' },
      });
      try {
        const rolled = await Promise.all([
          keys.rollIfDue(),
          other.get(ProofKeysService).rollIfDue(),
        ]);
        const kids = rolled.filter((kid): kid is string => kid !== null);
        expect(kids).toHaveLength(1);
        expect(kids[0]).not.toBe(current);
        expect((await keys.current()).kid).toBe(kids[0]);
        const events = await db.query(
          "SELECT detail FROM audit_event WHERE action = 'proof_key.roll'",
        );
        expect(events.rows).toEqual([{ detail: expect.objectContaining({ kid: kids[0] }) }]);
      } finally {
        await other.close();
      }
    });

    it('re-seals every sealed column of a table under the current KEK version, value by value, and leaves unset values alone', async () => {
      await db.query(
        'CREATE TABLE reseal_probe (id int PRIMARY KEY, a_sealed text, a_version int, b_sealed text, b_version int)',
      );
      const old = app.get(SecretBox);
      const sealed = ['alpha', 'beta', 'gamma'].map((value) => old.seal(value));
      expect(sealed.map((value) => value.keyVersion)).toEqual([1, 1, 1]);
      await db.query(
        'INSERT INTO reseal_probe VALUES (1, $1, 1, $2, 1), (2, $3, 1, NULL, NULL)',
        sealed.map((value) => value.ciphertext),
      );
      const rotatedApp = await startCredentialsTestApp(database, {
        overrides: {
          SECRET_ENCRYPTION_KEYS: `${TEST_SECRETS.SECRET_ENCRYPTION_KEYS},${SECOND_KEK}`,
        },
      });
      try {
        const box = rotatedApp.get(SecretBox);
        const spec = {
          table: 'reseal_probe',
          columns: [
            { sealed: 'a_sealed', version: 'a_version' },
            { sealed: 'b_sealed', version: 'b_version' },
          ],
        };
        const reseal = () =>
          rotatedApp.get(PrismaService).transaction((tx) => resealColumns(tx, box, spec));
        await expect(reseal()).resolves.toBe(3);
        const rows = (
          await db.query<{
            a_sealed: string;
            a_version: number;
            b_sealed: string | null;
            b_version: number | null;
          }>('SELECT a_sealed, a_version, b_sealed, b_version FROM reseal_probe ORDER BY id')
        ).rows;
        expect(rows.map((row) => [row.a_version, row.b_version])).toEqual([
          [2, 2],
          [2, null],
        ]);
        expect(rows[1]?.b_sealed).toBeNull();
        // Sealed anew (not relabelled): the values open under version 2 to what was sealed under 1.
        expect(rows[0]?.a_sealed).not.toBe(sealed[0]?.ciphertext);
        expect(
          [rows[0]?.a_sealed, rows[0]?.b_sealed, rows[1]?.a_sealed].map((ciphertext) =>
            box.open({ ciphertext: String(ciphertext), keyVersion: 2 }),
          ),
        ).toEqual(['alpha', 'beta', 'gamma']);
        await expect(reseal()).resolves.toBe(0);
      } finally {
        await rotatedApp.close();
        await db.query('DROP TABLE reseal_probe');
      }
    });

    it('re-seals every stored secret under a newly configured KEK version, and they still work', async () => {
      const client = await createTestClient(app);
      await app.get(OperatorSecretsService).put('ORANGE_JO', 'api_key', 'orange-upstream-key');
      const rotatedApp = await startCredentialsTestApp(database, {
        imports: [ProbeModule],
        clock,
        overrides: {
          JWT_KEY_RATE_LIMIT_PER_SECOND: '0',
          SECRET_ENCRYPTION_KEYS: `${TEST_SECRETS.SECRET_ENCRYPTION_KEYS},${SECOND_KEK}`,
        },
      });
      try {
        const report = await rotatedApp.get(SecretsResealService).resealAll();
        expect(report.resealed).toBeGreaterThanOrEqual(3);
        // Every module's sealed rows are found by discovery, and the run is one audit event.
        expect(rotatedApp.get(SecretsResealService).storeNames()).toEqual([
          'console_user',
          'credential',
          'idempotency_response',
          'operator_secret',
          'proof_key',
          'push_signing_key',
          'push_subscription',
          'push_upstream_subscription',
        ]);
        const events = await db.query(
          "SELECT detail FROM audit_event WHERE action = 'secrets.reseal'",
        );
        expect(events.rows).toEqual([
          { detail: expect.objectContaining({ count: report.resealed, keyVersion: 2 }) },
        ]);
        const versions = await db.query(
          `SELECT sealed_key_version AS v FROM credential WHERE sealed_secret IS NOT NULL
         UNION ALL SELECT sealed_key_version FROM operator_secret UNION ALL SELECT sealed_key_version FROM proof_key`,
        );
        expect(new Set(versions.rows.map((row: { v: number }) => row.v))).toEqual(new Set([2]));
        const call = await rotatedApp.inject({
          method: 'GET',
          url: '/mobile-identity/probe',
          headers: jwtHeaders(client, { iat: Math.floor(clock.now().getTime() / 1000) }),
        });
        expect(call.statusCode).toBe(200);
        expect(await rotatedApp.get(OperatorSecretsService).get('ORANGE_JO', 'api_key')).toBe(
          'orange-upstream-key',
        );
        expect((await rotatedApp.get(SecretsResealService).resealAll()).resealed).toBe(0);
      } finally {
        await rotatedApp.close();
      }
    });
  },
);
