import pg from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SqlSession } from '../../src/common/database/database-connection.js';
import {
  applyMigrations,
  migrationChecksum,
  readMigrations,
  type MigrationFile,
} from '../../src/common/database/migration-runner.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

function sessionOf(client: pg.Client): SqlSession {
  return {
    query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
      (await client.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
    release: () => client.end(),
  };
}

interface MigrationRecord {
  migration_name: string;
  checksum: string;
  applied_steps_count: number;
  finished_at: Date | null;
  logs: string | null;
}

describeOnPostgres('migration runner', () => {
  let database: TestDatabase;
  let migrations: MigrationFile[];

  beforeEach(async () => {
    database = await createTestDatabase({ empty: true });
    migrations = await readMigrations();
  });

  afterEach(async () => {
    await database.drop();
  });

  async function records(): Promise<MigrationRecord[]> {
    const client = await database.connect();
    try {
      return (
        await client.query<MigrationRecord>(
          'SELECT * FROM "_prisma_migrations" ORDER BY migration_name',
        )
      ).rows;
    } finally {
      await client.end();
    }
  }

  it('applies every migration once, recorded as Prisma records them', async () => {
    const client = await database.connect();
    const result = await applyMigrations(sessionOf(client), migrations);
    const again = await applyMigrations(sessionOf(client), migrations);
    await client.end();

    expect(result.applied).toEqual(migrations.map((migration) => migration.name));
    expect(again.applied).toEqual([]);
    const rows = await records();
    expect(rows.map((row) => row.migration_name)).toEqual(
      migrations.map((migration) => migration.name),
    );
    for (const [index, row] of rows.entries()) {
      expect(row.checksum).toBe(migrationChecksum(migrations[index].script));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.applied_steps_count).toBe(1);
      expect(row.finished_at).toBeInstanceOf(Date);
    }
  });

  it('refuses to continue when an applied migration file changed', async () => {
    const client = await database.connect();
    try {
      await applyMigrations(sessionOf(client), migrations);
      const edited = migrations.map((migration, index) =>
        index === 0 ? { ...migration, script: `${migration.script}\n-- edited` } : migration,
      );
      await expect(applyMigrations(sessionOf(client), edited)).rejects.toThrow(
        /modified after it was applied/,
      );
      const crlf = migrations.map((migration) => ({
        ...migration,
        script: migration.script.replace(/\n/g, '\r\n'),
      }));
      await expect(applyMigrations(sessionOf(client), crlf)).resolves.toEqual(
        expect.objectContaining({ applied: [] }),
      );
    } finally {
      await client.end();
    }
  });

  it('records a failed migration, rolls its script back, and refuses to go on until resolved', async () => {
    const broken: MigrationFile = {
      name: '99999999999999_broken',
      script: 'CREATE TABLE half_done (id int);\nSELECT no_such_function();',
    };
    const client = await database.connect();
    try {
      await expect(applyMigrations(sessionOf(client), [...migrations, broken])).rejects.toThrow(
        /99999999999999_broken failed/,
      );
      const failed = (await records()).find((row) => row.migration_name === broken.name);
      expect(failed).toMatchObject({ finished_at: null, applied_steps_count: 0 });
      expect(failed?.logs).toContain('no_such_function');
      const leftovers = await client.query("SELECT to_regclass('half_done') AS table");
      expect(leftovers.rows[0].table).toBeNull();
      await expect(applyMigrations(sessionOf(client), migrations)).rejects.toThrow(/P3009/);
    } finally {
      await client.end();
    }
  });

  it('lets two gateway instances start together on an empty database, migrating once', async () => {
    const instances: NestFastifyApplication[] = await Promise.all([
      startTestApp(database),
      startTestApp(database),
    ]);
    try {
      for (const instance of instances) {
        const response = await instance.inject({ method: 'GET', url: '/health/ready' });
        expect(response.statusCode).toBe(200);
      }
      const rows = await records();
      expect(rows.map((row) => row.migration_name)).toEqual(
        migrations.map((migration) => migration.name),
      );
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
    }
  });
});
