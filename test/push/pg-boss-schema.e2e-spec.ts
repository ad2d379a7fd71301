import pg from 'pg';
import { PgBoss } from 'pg-boss';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

const QUEUE = 'push-delivery';

/**
 * The pg-boss schema is installed by our migrations, not by pg-boss at start: the gateway's role
 * (`mig_app`, no DDL rights) starts pg-boss with schema creation and migration off, and the grants
 * of 20261206100000_add_pg_boss are all it needs to enqueue inside its own transaction, fetch and
 * complete. Real PostgreSQL, each pg-boss connection running as `mig_app`.
 */
describeOnPostgres('pg-boss schema (offline migration)', () => {
  let database: TestDatabase;
  let boss: PgBoss | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);

  afterAll(async () => {
    await boss?.stop({ graceful: false, close: true });
    await database?.drop();
  });

  /** A session of the application role on the test database. */
  async function appSession(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: database.url, options: '-c role=mig_app' });
    await client.connect();
    return client;
  }

  it('has the schema pg-boss 12.38.1 expects, with the delivery queue', async () => {
    const client = await database.connect();
    try {
      const { rows: version } = await client.query<{ version: number }>(
        'SELECT version FROM pgboss.version',
      );
      expect(version).toEqual([{ version: 46 }]);
      const { rows: queues } = await client.query<{ name: string; policy: string }>(
        'SELECT name, policy FROM pgboss.queue',
      );
      expect(queues).toEqual([{ name: QUEUE, policy: 'standard' }]);
    } finally {
      await client.end();
    }
  });

  it('starts as the application role with migrate and createSchema off, and reports no error', async () => {
    boss = new PgBoss({
      connectionString: database.url,
      options: '-c role=mig_app',
      migrate: false,
      createSchema: false,
      schedule: false,
      supervise: true,
      superviseIntervalSeconds: 1,
      maintenanceIntervalSeconds: 1,
      reindex: false,
      max: 4,
    });
    boss.on('error', (error: Error) => problems.push(error.message));
    await boss.start();
    await boss.supervise();
    expect(problems).toEqual([]);
  });

  it('enqueues inside the caller’s transaction: a rollback leaves no job, a commit one that a worker fetches and completes', async () => {
    if (!boss) throw new Error('pg-boss did not start');
    const session = await appSession();
    const db = {
      executeSql: async (text: string, values?: unknown[]) => session.query(text, values),
    };
    try {
      await session.query('BEGIN');
      await boss.send(QUEUE, { deliveryId: 'rolled-back' }, { db });
      await session.query('ROLLBACK');
      await session.query('BEGIN');
      const id = await boss.send(
        QUEUE,
        { deliveryId: 'committed' },
        { db, group: { id: 'http://127.0.0.1:1' } },
      );
      // Not visible to the worker before the transaction commits.
      expect(await boss.fetch(QUEUE, { batchSize: 10 })).toEqual([]);
      await session.query('COMMIT');

      const jobs = await boss.fetch(QUEUE, { batchSize: 10 });
      expect(jobs.map((job) => [job.id, job.data])).toEqual([[id, { deliveryId: 'committed' }]]);
      await boss.complete(QUEUE, jobs[0].id);
      expect((await boss.findJobs(QUEUE, { id: String(id) })).map((job) => job.state)).toEqual([
        'completed',
      ]);
    } finally {
      await session.end();
    }
    expect(problems).toEqual([]);
  });

  it('lets the application role tune the queue, and enqueues an event’s job in the statement that writes the event', async () => {
    if (!boss) throw new Error('pg-boss did not start');
    await boss.updateQueue(QUEUE, { expireInSeconds: 15, retryLimit: 100 });
    const session = await appSession();
    try {
      await session.query('BEGIN');
      const { rows: subscriptions } = await session.query<{ id: string }>(
        `INSERT INTO push_subscription (id, client_id, kind, sink, phone_hash, phone_masked, phone_sealed, phone_key_version, operator_id, status, starts_at, updated_at)
         VALUES (gen_random_uuid(), 'client-1', 'sim', 'http://127.0.0.1:1/hook', repeat('a', 64), '+*********01', 'sealed', 1, 'sandbox', 'ACTIVE', now(), now())
         RETURNING id::text`,
      );
      const due = new Date('2026-12-06T10:00:00.000Z');
      const { rows: events } = await session.query<{ id: string; job_id: string }>(
        `INSERT INTO push_delivery (id, subscription_id, client_id, type, occurred_at, next_attempt_at)
         VALUES (gen_random_uuid(), $1::uuid, 'client-1', 'swapped', now(), $2) RETURNING id::text, job_id::text`,
        [subscriptions[0].id, due],
      );
      const { rows: jobs } = await session.query<{
        data: unknown;
        start_after: Date;
        state: string;
        expire_seconds: number;
        retry_limit: number;
      }>(
        'SELECT data, start_after, state::text, expire_seconds, retry_limit FROM pgboss.job WHERE name = $1 AND id = $2::uuid',
        [QUEUE, events[0].job_id],
      );
      expect(jobs).toEqual([
        {
          data: { deliveryId: events[0].id },
          start_after: due,
          state: 'created',
          expire_seconds: 15,
          retry_limit: 100,
        },
      ]);
      await session.query('ROLLBACK');
    } finally {
      await session.end();
    }
  });

  it('gives the application role no DDL in the pg-boss schema', async () => {
    const session = await appSession();
    try {
      expect((await session.query<{ role: string }>('SELECT current_user AS role')).rows).toEqual([
        { role: 'mig_app' },
      ]);
      await expect(session.query('CREATE TABLE pgboss.not_allowed (id int)')).rejects.toMatchObject(
        { code: '42501' },
      );
      await expect(
        session.query(`SELECT pgboss.create_queue('other', '{"policy":"standard"}'::jsonb)`),
      ).rejects.toMatchObject({ code: '42501' });
    } finally {
      await session.end();
    }
  });
});
