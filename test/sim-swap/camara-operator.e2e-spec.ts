import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { FakeCamaraOperator } from './fake-camara-operator.js';
import {
  auditEventOf,
  createSwapClient,
  postAs,
  startSimSwapApp,
  type SwapClient,
} from './sim-swap-test-kit.js';

const camaraError = (status: number, code: string) => ({
  status,
  code,
  message: expect.any(String),
});

/** The gateway asking an operator's own CAMARA API (adapter `camara`), served by a fake on 127.0.0.1. */
describe('camara operator adapter', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: SwapClient;
  let operator: FakeCamaraOperator;

  const addOperator = async (
    target: NestFastifyApplication,
    id: string,
    prefix: string,
    monitoredPeriodDays: number | null = null,
  ): Promise<void> => {
    await target.get(OperatorsService).create({
      id,
      name: `${id} (fake CAMARA operator)`,
      country: 'DE',
      numberPrefixes: [prefix],
      adapterKind: 'CAMARA',
      monitoredPeriodDays,
      settings: {
        baseUrl: operator.baseUrl,
        tokenUrl: operator.tokenUrl,
        clientId: operator.clientId,
      },
    });
    await target.get(OperatorSecretsService).put(id, 'clientSecret', operator.clientSecret);
  };

  beforeAll(async () => {
    operator = await new FakeCamaraOperator().start();
    database = await createTestDatabase();
    // Breaker effectively off here: these tests misbehave on purpose. It has its own case below.
    app = await startSimSwapApp(database, {
      environment: { SIM_SWAP_DEADLINE_MS: '2000', SIM_SWAP_BREAKER_VOLUME_THRESHOLD: '10000' },
    });
    client = await createSwapClient(app);
    await addOperator(app, 'CAMARA_FAKE', '+49170');
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await operator?.stop();
  });

  beforeEach(() => {
    operator.behaviours.clear();
  });

  const post = (url: string, body: unknown) => postAs(app, client, url, body);

  it("forwards check with the caller's maxAge, a bearer token and the x-correlator, and answers the operator's verdict", async () => {
    operator.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 200,
      body: { swapped: true },
    });
    const response = await post('/sim-swap/v2/check', { phoneNumber: '+491701234567', maxAge: 48 });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ swapped: true });
    const [call] = operator.callsTo('sim-swap/v2/check').slice(-1);
    expect(call).toMatchObject({
      body: { phoneNumber: '+491701234567', maxAge: 48 },
      correlator: response.correlator,
    });
    expect(call.authorization).toMatch(/^Bearer token-\d+$/);
    const [event] = await auditEventOf(app, response.correlator);
    expect(event).toMatchObject({
      operator_id: 'CAMARA_FAKE',
      verdict: { swapped: true, maxAge: 48 },
      upstream: [expect.objectContaining({ operatorId: 'CAMARA_FAKE', status: 200 })],
    });
  });

  it("answers retrieve-date with the operator's date, monitoredPeriod, and the device equivalent", async () => {
    operator.behaviours.set('sim-swap/v2/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: '2026-11-20T08:30:00Z' },
    });
    expect(
      (await post('/sim-swap/v2/retrieve-date', { phoneNumber: '+491701234567' })).body,
    ).toEqual({ latestSimChange: '2026-11-20T08:30:00.000Z' });
    operator.behaviours.set('device-swap/v1/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestDeviceChange: null, monitoredPeriod: 90 },
    });
    expect(
      (await post('/device-swap/v1/retrieve-date', { phoneNumber: '+491701234567' })).body,
    ).toEqual({ latestDeviceChange: null, monitoredPeriod: 90 });
    operator.behaviours.set('device-swap/v1/check', {
      kind: 'answer',
      status: 200,
      body: { swapped: false },
    });
    expect((await post('/device-swap/v1/check', { phoneNumber: '+491701234567' })).body).toEqual({
      swapped: false,
    });
  });

  it('answers Identity Match from the same retrieve-date', async () => {
    operator.behaviours.set('sim-swap/v2/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: new Date(Date.now() - 2 * 3_600_000).toISOString() },
    });
    const response = await post('/mobile-identity/v1/sim-swap', {
      phoneNumber: '+491701234567',
      serviceType: 'range',
    });
    expect(response.body).toEqual({ range: { gt: 3_600, lt: 86_400 } });
  });

  it('reuses its token until shortly before it expires', async () => {
    operator.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 200,
      body: { swapped: false },
    });
    await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    const before = operator.tokenRequests;
    await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    expect(operator.tokenRequests).toBe(before);
  });

  it('fetches a new token once when the operator answers 401 to an expired one, then succeeds', async () => {
    operator.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 200,
      body: { swapped: true },
    });
    await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    operator.expireTokens();
    const tokensBefore = operator.tokenRequests;
    const callsBefore = operator.callsTo('sim-swap/v2/check').length;
    const response = await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ swapped: true });
    expect(operator.tokenRequests).toBe(tokensBefore + 1);
    expect(operator.callsTo('sim-swap/v2/check').length).toBe(callsBefore + 2);
  });

  it('refreshes only once: a second 401 is 503 UNAVAILABLE, not a verdict', async () => {
    operator.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 401,
      body: { status: 401, code: 'UNAUTHENTICATED', message: 'no' },
    });
    const callsBefore = operator.callsTo('sim-swap/v2/check').length;
    const response = await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    expect(response.status).toBe(503);
    expect(response.body).toEqual(camaraError(503, 'UNAVAILABLE'));
    expect(operator.callsTo('sim-swap/v2/check').length).toBe(callsBefore + 2);
  });

  it('answers 504 TIMEOUT (CAMARA) and 503 (Identity Match) when the operator is slower than the deadline', async () => {
    operator.behaviours.set('sim-swap/v2/check', { kind: 'hang' });
    operator.behaviours.set('sim-swap/v2/retrieve-date', { kind: 'hang' });
    const camara = await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    expect(camara.status).toBe(504);
    expect(camara.body).toEqual(camaraError(504, 'TIMEOUT'));
    expect((await auditEventOf(app, camara.correlator))[0]).toMatchObject({
      error_code: 'TIMEOUT',
      upstream: [expect.objectContaining({ operatorId: 'CAMARA_FAKE', status: 'timeout' })],
    });
    const identityMatch = await post('/mobile-identity/v1/sim-swap', {
      phoneNumber: '+491701234567',
      serviceType: 'timestamp',
    });
    expect(identityMatch.status).toBe(503);
    expect(identityMatch.body).toEqual({
      state: 'error',
      code: 'SERVICE_UNAVAILABLE',
      message: expect.any(String),
    });
  }, 15_000);

  it.each([
    [
      'a 5xx',
      { kind: 'answer', status: 500, body: { status: 500, code: 'INTERNAL', message: 'boom' } },
    ],
    ['a malformed body', { kind: 'raw', status: 200, body: '{"swapped": tru' }],
    ['a body without the verdict', { kind: 'answer', status: 200, body: { swapped: 'yes' } }],
    [
      'a 429',
      {
        kind: 'answer',
        status: 429,
        body: { status: 429, code: 'TOO_MANY_REQUESTS', message: 'slow down' },
      },
    ],
  ] as const)('answers 503 UNAVAILABLE to %s from the operator', async (_, behaviour) => {
    operator.behaviours.set('sim-swap/v2/check', behaviour);
    const response = await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
    expect(response.status).toBe(503);
    expect(response.body).toEqual(camaraError(503, 'UNAVAILABLE'));
    expect((await auditEventOf(app, response.correlator))[0].verdict).toBeNull();
  });

  it('answers 503 UNAVAILABLE to a date that is not RFC 3339', async () => {
    operator.behaviours.set('sim-swap/v2/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: 'yesterday' },
    });
    expect(
      (await post('/sim-swap/v2/retrieve-date', { phoneNumber: '+491701234567' })).body,
    ).toEqual(camaraError(503, 'UNAVAILABLE'));
  });

  it("passes on the operator's 404 IDENTIFIER_NOT_FOUND and 422 SERVICE_NOT_APPLICABLE", async () => {
    operator.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 404,
      body: { status: 404, code: 'IDENTIFIER_NOT_FOUND', message: 'unknown' },
    });
    expect((await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' })).body).toEqual(
      camaraError(404, 'IDENTIFIER_NOT_FOUND'),
    );
    operator.behaviours.set('device-swap/v1/check', {
      kind: 'answer',
      status: 422,
      body: { status: 422, code: 'SERVICE_NOT_APPLICABLE', message: 'no device' },
    });
    expect((await post('/device-swap/v1/check', { phoneNumber: '+491701234567' })).body).toEqual(
      camaraError(422, 'SERVICE_NOT_APPLICABLE'),
    );
  });

  it('answers 503 UNAVAILABLE when the token endpoint fails', async () => {
    operator.expireTokens();
    operator.tokenStatus = 500;
    try {
      const response = await post('/sim-swap/v2/check', { phoneNumber: '+491701234567' });
      expect(response.status).toBe(503);
      expect(response.body).toEqual(camaraError(503, 'UNAVAILABLE'));
    } finally {
      operator.tokenStatus = 200;
    }
  });

  describeOnPostgres('circuit breaker', () => {
    let strict: NestFastifyApplication;

    beforeAll(async () => {
      // A second instance on the same database, with a breaker that opens after two failures.
      strict = await startSimSwapApp(database, {
        environment: {
          SIM_SWAP_BREAKER_VOLUME_THRESHOLD: '2',
          SIM_SWAP_BREAKER_ERROR_PERCENT: '50',
          SIM_SWAP_BREAKER_RESET_MS: '600000',
        },
      });
      await addOperator(strict, 'CAMARA_FAKE_B', '+49171');
    }, 30_000);

    afterAll(async () => {
      await strict?.close();
    });

    it('stops calling a failing operator and answers 503 at once, per operator', async () => {
      operator.behaviours.set('sim-swap/v2/check', { kind: 'answer', status: 500, body: {} });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        expect(
          (await postAs(strict, client, '/sim-swap/v2/check', { phoneNumber: '+491711234567' }))
            .status,
        ).toBe(503);
      }
      const callsBefore = operator.callsTo('sim-swap/v2/check').length;
      const refused = await postAs(strict, client, '/sim-swap/v2/check', {
        phoneNumber: '+491711234567',
      });
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual(camaraError(503, 'UNAVAILABLE'));
      expect(operator.callsTo('sim-swap/v2/check').length).toBe(callsBefore);
      expect((await auditEventOf(app, refused.correlator))[0].upstream).toEqual([
        expect.objectContaining({ operatorId: 'CAMARA_FAKE_B', status: 'circuit_open' }),
      ]);
      // Another operator's breaker is its own: CAMARA_FAKE is still asked.
      operator.behaviours.set('sim-swap/v2/check', {
        kind: 'answer',
        status: 200,
        body: { swapped: false },
      });
      expect(
        (await postAs(strict, client, '/sim-swap/v2/check', { phoneNumber: '+491701234567' })).body,
      ).toEqual({ swapped: false });
    });
  });
});
