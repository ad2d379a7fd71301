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
      headers: { ...SECRET_HEADER_VALUES, 'content-type': 'application/json', 'x-correlator': 'log-test-correlator-1' },
      body: JSON.stringify({ mobileNumber: '+962791234567', secretKey: 'LeakCanaryClientSecret' }),
    });
    await fetch(`${gateway.url}/sim-swap/v2/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlator': 'log-test-correlator-2' },
      body: '{"phoneNumber": "+31612345678",',
    });
    await gateway.stop();

    const lines = gateway.output().split('\n').filter((line) => line.trim().startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = entries.filter((entry) => entry.msg === 'request completed');
    expect(requestLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ correlationId: 'log-test-correlator-1', method: 'POST', status: expect.any(Number) }),
        expect.objectContaining({ correlationId: 'log-test-correlator-2', status: 400 }),
      ]),
    );
    const everything = gateway.output();
    for (const value of Object.values(SECRET_HEADER_VALUES)) expect(everything).not.toContain(value);
    for (const number of ['962791234567', '962797778899', '31612345678', '962791112233', '962794445566']) {
      expect(everything).not.toContain(number);
    }
    expect(everything).not.toContain('LeakCanaryClientSecret');
  });
});
