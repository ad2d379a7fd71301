import { spawnSync } from 'node:child_process';
import type pg from 'pg';
import { signIdentityMatchJwt } from '../support/credentials-factory.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

interface Secrets {
  clientId: string;
  apiKey: string;
  clientSecret: string;
  jwtKeyId: string;
  jwtSecret: string;
}

/** Every text-like value in every table of the database, as one string per row and column. */
async function dumpAllText(db: pg.Client): Promise<string[]> {
  const columns = await db.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea', 'USER-DEFINED'))`,
  );
  const values: string[] = [];
  for (const { table_name: table, column_name: column } of columns.rows) {
    const rows = await db.query<{ value: string | null }>(
      `SELECT "${column}"::text AS value FROM "${table}"`,
    );
    for (const row of rows.rows) if (row.value !== null) values.push(row.value);
  }
  return values;
}

describeOnPostgres('no plaintext secret in the database or the logs', () => {
  let database: TestDatabase;
  let gateway: GatewayProcess;
  let db: pg.Client;
  const issued: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await database.connect();
    gateway = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'debug',
      JWT_KEY_RATE_LIMIT_PER_SECOND: '0',
    });
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await db?.end();
    await database?.drop();
  });

  it('after issuing, using and rotating every kind of secret, none appears in any column or log line', async () => {
    const cli = spawnSync(
      'node',
      ['dist/cli.js', 'admin-key:create', '--role', 'admin', '--json'],
      {
        env: { ...process.env, ...database.overrides, LOG_LEVEL: 'debug' },
        encoding: 'utf8',
      },
    );
    expect(cli.status).toBe(0);
    const adminKey = (JSON.parse(cli.stdout) as { key: string }).key;
    issued.push(adminKey);
    const post = (path: string, headers: Record<string, string>, body?: object) =>
      fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });

    const created = (await (
      await post(
        '/admin/v1/clients',
        { authorization: `Bearer ${adminKey}` },
        { name: 'Leak check', products: ['VERIFY', 'SIM_SWAP'] },
      )
    ).json()) as {
      client: { clientId: string };
      credentials: Omit<Secrets, 'clientId'>;
    };
    const client: Secrets = { clientId: created.client.clientId, ...created.credentials };
    issued.push(client.apiKey, client.clientSecret, client.jwtSecret);
    const keyHeaders = { 'x-client-id': client.clientId, 'x-api-key': client.apiKey };

    const sdk = (await (await post('/v1/api/sdk/token', keyHeaders)).json()) as {
      data: { sdkToken: string };
    };
    issued.push(sdk.data.sdkToken);
    const wrongRotation = await post('/v1/api/clients/rotate-key', keyHeaders, {
      secretKey: `${client.clientSecret}x`,
    });
    expect(wrongRotation.status).toBe(401);
    const rotated = (await (
      await post('/v1/api/clients/rotate-key', keyHeaders, { secretKey: client.clientSecret })
    ).json()) as { data: { newApiKey: string } };
    issued.push(rotated.data.newApiKey);
    const jwt = signIdentityMatchJwt(client);
    issued.push(jwt);
    await fetch(`${gateway.url}/mobile-identity/v1/sim-swap`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '+31612345678', serviceType: '24h' }),
    });
    const jwtRotation = (await (
      await post(
        `/admin/v1/clients/${client.clientId}/credentials/${client.jwtKeyId}/rotate`,
        { authorization: `Bearer ${adminKey}` },
        {},
      )
    ).json()) as { secret: string };
    issued.push(jwtRotation.secret);
    expect(issued.every((secret) => typeof secret === 'string' && secret.length >= 40)).toBe(true);
    expect(issued).toHaveLength(8);

    await gateway.stop();
    const values = await dumpAllText(db);
    expect(values.length).toBeGreaterThan(0);
    const logs = `${gateway.output()}\n${cli.stderr}`;
    for (const secret of issued) {
      // The whole secret, and its random part alone (a prefix-stripped copy is a leak too).
      const randomPart = secret.replace(/^mig_[a-z]+_/, '').slice(0, 40);
      for (const needle of [secret, randomPart]) {
        expect(values.filter((value) => value.includes(needle))).toEqual([]);
        expect(logs.includes(needle)).toBe(false);
      }
    }
  }, 30_000);
});
