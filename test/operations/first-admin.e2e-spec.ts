import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGatewayProcess } from '../support/gateway-process.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

// The real gateway process, as `npm start` runs it on a developer machine.
describeOnPostgres('first admin key on a development machine', () => {
  let database: TestDatabase;
  let folder: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    folder = await mkdtemp(path.join(tmpdir(), 'mig-first-admin-'));
  });

  afterAll(async () => {
    await database.drop();
    await rm(folder, { recursive: true, force: true });
  });

  it('writes an admin key to a 0600 file on first start, logs only where it is, and keeps it across restarts', async () => {
    const env = {
      ...database.overrides,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      EMBEDDED_DATA_DIR: path.join(folder, 'pglite'),
    };
    const file = path.join(folder, 'admin-key.json');
    const first = await startGatewayProcess(env);
    let saved: { id: string; key: string; role: string };
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as typeof saved;
      expect(saved).toEqual(
        expect.objectContaining({ role: 'admin', key: expect.any(String), id: expect.any(String) }),
      );
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const keys = await fetch(`${first.url}/admin/v1/admin-keys`, {
        headers: { authorization: `Bearer ${saved.key}` },
      });
      expect(keys.status).toBe(200);
      expect(first.output()).toContain(file);
      expect(first.output()).not.toContain(saved.key);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const client = await database.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_event WHERE action = 'admin_key.create'`,
      );
      expect(rows[0].n).toBe(1);
    } finally {
      await client.end();
    }

    const second = await startGatewayProcess(env);
    try {
      expect(second.output()).not.toContain('created the first admin key');
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(saved);
    } finally {
      await second.stop();
    }
  });
});
