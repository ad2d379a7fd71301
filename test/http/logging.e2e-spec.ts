import { jwtHeaders } from '../support/credentials-factory.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const SECRET_HEADER_VALUES = {
  'x-api-key': 'mig_test_LeakCanaryApiKey0000000000000000000000',
  authorization: 'Bearer LeakCanaryBearerToken.eyJzdWIiOiJ4In0.sig',
  'x-sdk-token': 'LeakCanarySdkToken000000',
  'x-msisdn': '+962791112233',
  'x-sandbox-msisdn': '+962794445566',
};

describe('logs', () => {
  let database: TestDatabase;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    gateway = await startGatewayProcess({ ...database.overrides, LOG_LEVEL: 'info' });
  });

  afterAll(async () => {
    await gateway?.stop();
    await database?.drop();
  });

  it('are JSON lines carrying the correlation id, without secrets or phone numbers', async () => {
    await fetch(`${gateway.url}/v1/api/verify?maskMobile=true&mobileNumber=%2B962797778899`, {
      method: 'POST',
      headers: {
        ...SECRET_HEADER_VALUES,
        'content-type': 'application/json',
        'x-correlator': 'log-test-correlator-1',
      },
      body: JSON.stringify({ mobileNumber: '+962791234567', secretKey: 'LeakCanaryClientSecret' }),
    });
    await fetch(`${gateway.url}/sim-swap/v2/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlator': 'log-test-correlator-2' },
      body: '{"phoneNumber": "+31612345678",',
    });
    // A phone number in the path of an admin route (and of a path no route matches).
    await fetch(`${gateway.url}/admin/v1/sandbox/sim-swap/%2B31698765432`, {
      method: 'PUT',
      headers: { authorization: SECRET_HEADER_VALUES.authorization },
    });
    await fetch(`${gateway.url}/admin/v1/no-such-route/+31698765432`);
    await gateway.stop();

    const lines = gateway
      .output()
      .split('\n')
      .filter((line) => line.trim().startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = entries.filter((entry) => entry.msg === 'request completed');
    expect(requestLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          correlationId: 'log-test-correlator-1',
          method: 'POST',
          status: expect.any(Number),
        }),
        expect.objectContaining({ correlationId: 'log-test-correlator-2', status: 400 }),
      ]),
    );
    const everything = gateway.output();
    for (const value of Object.values(SECRET_HEADER_VALUES))
      expect(everything).not.toContain(value);
    expect(requestLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'PUT',
          path: '/admin/v1/sandbox/sim-swap/:phoneNumber',
          status: 401,
        }),
      ]),
    );
    for (const number of [
      '962791234567',
      '962797778899',
      '31612345678',
      '962791112233',
      '962794445566',
      '31698765432',
    ]) {
      expect(everything).not.toContain(number);
    }
    expect(everything).not.toContain('LeakCanaryClientSecret');
  });

  it('leave out the phone numbers of requests the gateway accepts and answers', async () => {
    const bootstrapSecret = 'log-test-bootstrap-secret-0123456789abcdef';
    const served = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      ADMIN_BOOTSTRAP_SECRET: bootstrapSecret,
    });
    const json = { 'content-type': 'application/json' };
    const admin = (await (
      await fetch(`${served.url}/admin/v1/bootstrap`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ secret: bootstrapSecret }),
      })
    ).json()) as { key: string };
    const created = await fetch(`${served.url}/admin/v1/clients`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${admin.key}` },
      body: JSON.stringify({ name: 'log test', environment: 'SANDBOX', products: ['SIM_SWAP'] }),
    });
    expect(created.status).toBe(201);
    const { credentials } = (await created.json()) as {
      credentials: { jwtKeyId: string; jwtSecret: string };
    };
    // Sandbox numbers (README "Sandbox numbers"), so both routes answer a verdict.
    const camara = await fetch(`${served.url}/sim-swap/v2/check`, {
      method: 'POST',
      headers: { ...json, ...jwtHeaders(credentials), 'x-correlator': 'log-test-accepted-camara' },
      body: JSON.stringify({ phoneNumber: '+31612345003' }),
    });
    expect(camara.status).toBe(200);
    const identityMatch = await fetch(`${served.url}/mobile-identity/v1/sim-swap`, {
      method: 'POST',
      headers: {
        ...json,
        ...jwtHeaders(credentials),
        'x-correlator': 'log-test-accepted-identity-match',
      },
      body: JSON.stringify({ phoneNumber: '+31612345004', serviceType: '24h' }),
    });
    expect(identityMatch.status).toBe(200);
    await served.stop();

    const output = served.output();
    const requestLines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'request completed');
    expect(requestLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ correlationId: 'log-test-accepted-camara', status: 200 }),
        expect.objectContaining({ correlationId: 'log-test-accepted-identity-match', status: 200 }),
      ]),
    );
    for (const number of ['31612345003', '31612345004']) expect(output).not.toContain(number);
    expect(output).not.toContain(credentials.jwtSecret);
    expect(output).not.toContain(admin.key);
  });

  it('name the address the socket is bound to, and the drain at shutdown', async () => {
    const started = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      HOST: '0.0.0.0',
    });
    const port = new URL(started.url).port;
    expect(started.url).toBe(`http://0.0.0.0:${port}`);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    expect(await started.stop()).toBe(0);
    const messages = started
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SIGTERM: draining/),
        expect.stringMatching(/^stopped after \d+ ms$/),
      ]),
    );
  });

  it('carry the correlation id on every line written while serving a request', async () => {
    // A database that refuses connections: the guard, the error responder and the audit layer all log.
    const dead = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere_test',
      MIGRATE_ON_START: 'false',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
    });
    const response = await fetch(`${dead.url}/v1/api/verify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-correlator': 'log-test-dead-database',
        'x-client-id': 'someone',
        'x-api-key': 'mig_test_x',
      },
      body: '{}',
    });
    expect(response.status).toBe(503);
    await dead.stop();
    const entries = dead
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const beforeShutdown = entries.slice(
      0,
      entries.findIndex((entry) => String(entry.msg).startsWith('SIGTERM')),
    );
    const served = beforeShutdown.filter(
      (entry) =>
        ['RequestAudit', 'ErrorResponder'].includes(String(entry.context)) ||
        entry.msg === 'request completed',
    );
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const entry of served)
      expect(entry).toMatchObject({ correlationId: 'log-test-dead-database' });
  });
});
