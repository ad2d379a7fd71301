import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { DatabaseConnection } from '../../src/common/database/database-connection.js';
import { AuditIntegrityService } from '../../src/modules/audit/audit-integrity.service.js';
import { AuditService } from '../../src/modules/audit/audit.service.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { withOwner } from './audit-kit.js';

const run = promisify(execFile);

/** The same database as the application role, the way production connects (`mig_app`, no owner rights). */
function asApplicationRole(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', '-c role=mig_app');
  return parsed.toString();
}

/** Runs `work` in a transaction as `mig_app`; always rolled back. */
function asMigApp<T>(database: TestDatabase, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withOwner(database, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL ROLE mig_app');
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

async function lastMonthPartition(database: TestDatabase): Promise<string> {
  return withOwner(database, async (client) => {
    await client.query(
      `SELECT audit_ensure_partitions((date_trunc('month', now()) - interval '1 month')::timestamptz, 1)`,
    );
    const { rows } = await client.query<{ name: string }>(
      `SELECT 'audit_event_y' || to_char(now() - interval '1 month', 'YYYY') || 'm' || to_char(now() - interval '1 month', 'MM') AS name`,
    );
    const exists = await client.query('SELECT 1 FROM pg_class WHERE relname = $1', [rows[0].name]);
    expect(exists.rowCount).toBe(1);
    return rows[0].name;
  });
}

describeOnPostgres('history the application role cannot rewrite', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database?.drop();
  });

  it('refuses to drop last month, and the policy cannot be changed, as mig_app', async () => {
    const partition = await lastMonthPartition(database);
    await asMigApp(database, async (client) => {
      await client.query('SAVEPOINT s');
      await expect(client.query('SELECT audit_drop_partition($1)', [partition])).rejects.toThrow(
        /inside the retention period/,
      );
      await client.query('ROLLBACK TO SAVEPOINT s');
      await expect(client.query(`DROP TABLE ${partition}`)).rejects.toThrow(/must be owner/);
      await client.query('ROLLBACK TO SAVEPOINT s');
      for (const statement of [
        "INSERT INTO audit_retention_policy (effective_from, retention_days, set_by) VALUES (now(), 1, 'app')",
        'UPDATE audit_retention_policy SET retention_days = 1',
        'DELETE FROM audit_retention_policy',
      ]) {
        await expect(client.query(statement)).rejects.toThrow(/permission denied/);
        await client.query('ROLLBACK TO SAVEPOINT s');
      }
      await expect(
        client.query<{ days: number }>('SELECT audit_retention_days_at(now()) AS days'),
      ).resolves.toMatchObject({ rows: [{ days: 400 }] });
    });
    await withOwner(database, async (client) => {
      await expect(
        client.query('SELECT 1 FROM pg_class WHERE relname = $1', [partition]),
      ).resolves.toMatchObject({ rowCount: 1 });
    });
  });

  it('refuses to overwrite the chain head hash as mig_app, at the same position or a new one', async () => {
    const app = await startTestApp(database);
    try {
      await app.get(AuditService).record({
        action: 'test.event',
        contract: 'system',
        actorType: 'system',
        outcome: 'success',
      });
    } finally {
      await app.close();
    }
    await asMigApp(database, async (client) => {
      await client.query('SAVEPOINT s');
      for (const statement of [
        "UPDATE audit_chain_head SET hash = repeat('0', 64) WHERE id = 1",
        "UPDATE audit_chain_head SET position = position + 1, hash = repeat('0', 64), updated_at = now() WHERE id = 1",
        'UPDATE audit_chain_head SET position = position - 1 WHERE id = 1',
        'DELETE FROM audit_chain_head',
      ]) {
        await expect(client.query(statement)).rejects.toThrow(
          /only moves forward|must name a stored event|permission denied/,
        );
        await client.query('ROLLBACK TO SAVEPOINT s');
      }
    });
  });

  it('makes audit:verify fail on a retention event forged through the application role', async () => {
    if (!database.url) throw new Error('PostgreSQL only');
    // The whole gateway connected as mig_app: the forged event goes through the unit of work, as
    // a compromised application would write it, with a valid hash link.
    const app = await startTestApp(database, { DATABASE_URL: asApplicationRole(database.url) });
    try {
      const session = await app.get(DatabaseConnection).openSession();
      try {
        await expect(session.query('SELECT current_user AS role')).resolves.toEqual([
          { role: 'mig_app' },
        ]);
      } finally {
        await session.release();
      }
      const audit = app.get(AuditService);
      await audit.record({
        action: 'test.event',
        contract: 'system',
        actorType: 'system',
        outcome: 'success',
      });
      await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({ ok: true });
      const lastMonth = new Date();
      lastMonth.setUTCDate(1);
      lastMonth.setUTCHours(0, 0, 0, 0);
      await audit.record({
        action: 'audit.retention',
        contract: 'system',
        actorType: 'system',
        actorId: 'audit-retention',
        outcome: 'success',
        detail: {
          retentionDays: 400,
          cutoff: lastMonth.toISOString(),
          droppedFrom: new Date(Date.UTC(lastMonth.getUTCFullYear() - 1, 0, 1)).toISOString(),
          droppedTo: lastMonth.toISOString(),
          partitions: ['audit_event_forged'],
          throughPosition: '1',
          throughHash: null,
        },
      });
      await expect(app.get(AuditIntegrityService).verify()).resolves.toMatchObject({
        ok: false,
        firstBroken: { kind: 'retention_not_allowed' },
      });
    } finally {
      await app.close();
    }
    const cli = run('node', ['dist/cli.js', 'audit:verify', '--json'], {
      env: { ...process.env, ...database.overrides },
    });
    await expect(cli).rejects.toMatchObject({
      code: 2,
      stdout: expect.stringContaining('retention_not_allowed'),
    });
  }, 60_000);
});
