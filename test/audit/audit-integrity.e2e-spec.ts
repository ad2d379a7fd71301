import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditIntegrityService } from '../../src/modules/audit/audit-integrity.service.js';
import { AuditRetentionService } from '../../src/modules/audit/audit-retention.service.js';
import { AuditService } from '../../src/modules/audit/audit.service.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { seedChain, withOwner } from './audit-kit.js';

const run = promisify(execFile);

async function recordEvents(app: NestFastifyApplication, count: number): Promise<void> {
  const audit = app.get(AuditService);
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      audit.record({
        action: 'test.event',
        contract: 'system',
        actorType: 'system',
        outcome: index % 3 === 0 ? 'failure' : 'success',
        detail: { index },
        verdict: { validNumber: index % 2 === 0 },
      }),
    ),
  );
}

/** As the owner with triggers off (session_replication_role), the way an intruder with database rights would. */
function tamper(database: TestDatabase, ...statements: string[]): Promise<void> {
  return withOwner(database, async (client) => {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
  });
}

describeOnPostgres('audit chain integrity', () => {
  describe('tampering', () => {
    let database: TestDatabase;
    let app: NestFastifyApplication;

    beforeEach(async () => {
      database = await createTestDatabase();
      app = await startTestApp(database);
      await recordEvents(app, 30);
    });

    afterEach(async () => {
      await app?.close();
      await database?.drop();
    });

    const verify = () => app.get(AuditIntegrityService).verify();

    it('verifies an untouched chain written by concurrent batches, through the API too', async () => {
      await expect(verify()).resolves.toMatchObject({
        ok: true,
        checkedEvents: 30,
        headPosition: '30',
        firstBroken: null,
      });
      const anchor = await app.get(AuditIntegrityService).anchor(new Date());
      expect(anchor).toMatchObject({
        position: '30',
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    it('detects an altered row', async () => {
      await tamper(
        database,
        `UPDATE audit_event SET verdict = '{"validNumber": true}' WHERE id = 12`,
      );
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        firstBroken: { position: '12', kind: 'altered' },
      });
    });

    it('detects a deleted row as a gap', async () => {
      await tamper(database, 'DELETE FROM audit_event WHERE id = 7');
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        firstBroken: { position: '7', kind: 'missing' },
      });
    });

    it('detects rows deleted from the end of the chain', async () => {
      await tamper(database, 'DELETE FROM audit_event WHERE id > 27');
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        firstBroken: { position: '28', kind: 'missing' },
      });
    });

    it('detects reordered rows', async () => {
      await tamper(
        database,
        'UPDATE audit_event SET id = -20 WHERE id = 20',
        'UPDATE audit_event SET id = 20 WHERE id = 21',
        'UPDATE audit_event SET id = 21 WHERE id = -20',
      );
      await expect(verify()).resolves.toMatchObject({
        ok: false,
        firstBroken: { position: '20', kind: 'broken_link' },
      });
    });

    it('detects a rewritten chain whose head no longer matches the anchor kept outside', async () => {
      const anchor = await app.get(AuditIntegrityService).anchor(new Date());
      await tamper(
        database,
        'DELETE FROM audit_event WHERE id = 30',
        'UPDATE audit_chain_head SET position = 29, hash = (SELECT hash FROM audit_event WHERE id = 29)',
      );
      const report = await verify();
      // The truncated chain is internally consistent; only the exported anchor reveals it.
      expect(report.ok).toBe(true);
      expect({ position: report.headPosition, hash: report.headHash }).not.toEqual({
        position: anchor.position,
        hash: anchor.hash,
      });
    });
  });

  describe('retention', () => {
    let database: TestDatabase;

    beforeEach(async () => {
      database = await createTestDatabase();
    });

    afterEach(async () => {
      await database?.drop();
    });

    it('refuses a retention shorter than 365 days unless explicitly allowed', async () => {
      const app = await startTestApp(database);
      try {
        const retention = app.get(AuditRetentionService);
        await expect(retention.currentRetentionDays()).resolves.toBe(400);
        await expect(retention.setPolicy(90, false, 'test')).rejects.toThrow(/365 days/);
        await expect(retention.currentRetentionDays()).resolves.toBe(400);
        await retention.setPolicy(90, true, 'test');
        await expect(retention.currentRetentionDays()).resolves.toBe(90);
      } finally {
        await app.close();
      }
    });

    it('drops whole months past retention, records the dropped range, and the retained chain still verifies (CLI too)', async () => {
      const app = await startTestApp(database);
      try {
        // Two years of history: months long past retention, written as the owner.
        await withOwner(database, async (client) => {
          await client.query(`SELECT audit_ensure_partitions('2024-01-01T00:00:00Z', 2)`);
          await seedChain(client, 40, (index) =>
            new Date(Date.UTC(2024, index < 20 ? 0 : 1, 1 + (index % 20), 12)).toISOString(),
          );
        });
        await recordEvents(app, 5);
        await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({
          ok: true,
          checkedEvents: 45,
        });

        const result = await app.get(AuditRetentionService).run();
        expect(result).toMatchObject({
          skipped: false,
          droppedPartitions: ['audit_event_y2024m01', 'audit_event_y2024m02'],
          droppedFrom: '2024-01-01T00:00:00.000Z',
          droppedTo: '2024-03-01T00:00:00.000Z',
          throughPosition: '40',
        });
        await expect(app.get(AuditRetentionService).run()).resolves.toMatchObject({
          droppedPartitions: [],
        });

        const left = await withOwner(
          database,
          async (client) =>
            (
              await client.query<{ first: string; partitions: string[] }>(
                `SELECT min(id)::text AS first, (SELECT array_agg(relname::text) FROM pg_class WHERE relname LIKE 'audit_event_y2024%' AND relkind = 'r') AS partitions FROM audit_event`,
              )
            ).rows[0],
        );
        expect(left).toEqual({ first: '41', partitions: null });
        const retentionEvent = await withOwner(
          database,
          async (client) =>
            (
              await client.query<{ detail: Record<string, unknown> }>(
                "SELECT detail FROM audit_event WHERE action = 'audit.retention'",
              )
            ).rows,
        );
        expect(retentionEvent).toEqual([
          {
            detail: expect.objectContaining({
              throughPosition: '40',
              droppedFrom: '2024-01-01T00:00:00.000Z',
              droppedTo: '2024-03-01T00:00:00.000Z',
            }),
          },
        ]);

        await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({
          ok: true,
          fromPosition: '41',
          checkedEvents: 6,
          retentionEventId: '46',
        });
        const cli = await run('node', ['dist/cli.js', 'audit:verify', '--json'], {
          env: { ...process.env, ...database.overrides },
        });
        expect(JSON.parse(cli.stdout)).toMatchObject({
          ok: true,
          fromPosition: '41',
          headPosition: '46',
        });

        // Without the retention event, the missing start would be reported.
        await tamper(database, "DELETE FROM audit_event WHERE action = 'audit.retention'");
        await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({
          ok: false,
          firstBroken: { position: '1', kind: 'missing' },
        });
      } finally {
        await app.close();
      }
    }, 60_000);
  });
});
