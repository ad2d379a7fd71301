import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditIntegrityService } from '../../src/modules/audit/audit-integrity.service.js';
import {
  AuditVerificationRunsService,
  type VerificationRunView,
} from '../../src/modules/audit/audit-verification-runs.service.js';
import { AuditService } from '../../src/modules/audit/audit.service.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, itOnPostgres, type TestDatabase } from '../support/test-database.js';
import { withOwner } from './audit-kit.js';

const run = promisify(execFile);

/** Stored chain checks: what the console's integrity view and `audit:verify` share. */
describe(AuditVerificationRunsService.name, () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let runs: AuditVerificationRunsService;

  async function finished(id: string): Promise<VerificationRunView> {
    const until = Date.now() + 20_000;
    for (;;) {
      const current = await runs.get(id);
      if (current && current.status !== 'running') return current;
      if (Date.now() > until) throw new Error('the run did not finish in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    runs = app.get(AuditVerificationRunsService);
    const audit = app.get(AuditService);
    for (let index = 0; index < 25; index += 1)
      await audit.record({
        action: 'test.event',
        contract: 'system',
        actorType: 'system',
        outcome: 'success',
        detail: { index },
      });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('reports progress as it checks, ending with every event checked', async () => {
    const progress: [number, number][] = [];
    const report = await app
      .get(AuditIntegrityService)
      .verify({ onProgress: (checked, total) => progress.push([checked, total]) });
    expect(report.ok).toBe(true);
    expect(progress.at(-1)).toEqual([report.checkedEvents, report.checkedEvents]);
  });

  it('runs a check in the background, stores its result and records it in the trail', async () => {
    const started = await runs.start({
      type: 'console_user',
      id: '00000000-0000-4000-8000-000000000001',
      correlationId: 'run-test',
    });
    expect(started.status).toBe('running');
    const done = await finished(started.id);
    expect(done).toMatchObject({
      status: 'passed',
      firstBroken: null,
      fromPosition: '1',
      requestedBy: { type: 'console_user' },
    });
    expect(done.checkedEvents).toBe(done.totalEvents);
    expect(done.headHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await runs.latest()).lastFinished?.id).toBe(started.id);
    const events = await app
      .get(AuditService)
      .list({ action: 'audit.verify', correlationId: 'run-test' }, 5);
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      actorType: 'console_user',
      outcome: 'success',
      detail: { runId: started.id, ok: true },
    });
  });

  itOnPostgres(
    'stores the CLI’s audit:verify as a run too, and a tampered chain as failed at its first bad position',
    async () => {
      const cli = await run('node', ['dist/cli.js', 'audit:verify', '--json'], {
        env: { ...process.env, ...database.overrides },
      });
      expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true });
      expect((await runs.latest()).lastFinished).toMatchObject({
        status: 'passed',
        requestedBy: { type: 'system', id: null },
      });

      await withOwner(database, async (client) => {
        await client.query('BEGIN');
        await client.query('SET LOCAL session_replication_role = replica');
        await client.query(`UPDATE audit_event SET detail = '{"index": 99}' WHERE id = 7`);
        await client.query('COMMIT');
      });
      const broken = await finished((await runs.start({ type: 'system' })).id);
      expect(broken).toMatchObject({
        status: 'failed',
        firstBroken: { position: '7', kind: 'altered' },
      });
      const failedEvent = (
        await app.get(AuditService).list({ action: 'audit.verify', outcome: 'failure' }, 1)
      ).items[0];
      expect(failedEvent).toMatchObject({
        errorCode: 'CHAIN_BROKEN',
        detail: { runId: broken.id, firstBroken: { position: '7' } },
      });
    },
  );
});
