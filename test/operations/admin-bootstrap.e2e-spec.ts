import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

const SECRET = 'bootstrap-secret-of-at-least-32-characters';

describeOnPostgres('first admin in production (ADMIN_BOOTSTRAP_SECRET)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, {
      NODE_ENV: 'production',
      ADMIN_BOOTSTRAP_SECRET: SECRET,
      METRICS_TOKEN: 'metrics-token-0123456789',
    });
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const bootstrap = (secret: string) =>
    app.inject({ method: 'POST', url: '/admin/v1/bootstrap', payload: { secret } });

  it('refuses a wrong secret, answers the first admin key once, then refuses, each attempt audited without the secret', async () => {
    const wrong = await bootstrap(`${SECRET}x`);
    expect(wrong.statusCode).toBe(401);

    const first = await bootstrap(SECRET);
    expect(first.statusCode).toBe(201);
    const created = first.json<{ id: string; key: string; role: string }>();
    expect(created.role).toBe('admin');
    const keys = await app.inject({
      method: 'GET',
      url: '/admin/v1/admin-keys',
      headers: { authorization: `Bearer ${created.key}` },
    });
    expect(keys.statusCode).toBe(200);

    const again = await bootstrap(SECRET);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'ADMIN_EXISTS' });
    expect(again.body).not.toContain(SECRET);

    const client = await database.connect();
    try {
      const { rows } = await client.query<{ outcome: string; http_status: number | null }>(
        `SELECT outcome, http_status FROM audit_event WHERE action = 'admin_key.bootstrap' ORDER BY id`,
      );
      expect(rows.map((row) => row.http_status)).toEqual([401, 201, 409]);
      const leaked = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_event e WHERE e::text LIKE '%' || $1 || '%'`,
        [SECRET],
      );
      expect(leaked.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
