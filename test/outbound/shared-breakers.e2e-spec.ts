import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { Clock } from '../../src/common/clock/clock.js';
import { validateEnvironment } from '../../src/common/config/environment.js';
import type { UpstreamCall } from '../../src/common/http/audit-facts.js';
import { MetricsService } from '../../src/common/metrics/metrics.service.js';
import { OutboundClient } from '../../src/common/outbound/outbound-client.js';
import type { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import type { OperatorView } from '../../src/modules/operators/operators.service.js';
import { CamaraSwapAdapter } from '../../src/modules/sim-swap/adapters/camara-swap.adapter.js';
import type { SwapQuery } from '../../src/modules/sim-swap/adapters/swap-adapter.js';
import type { BalanceService } from '../../src/modules/verification/balance.service.js';
import { UpstreamVerificationAdapter } from '../../src/modules/verification/adapters/upstream-verification.adapter.js';
import { FakeCamaraOperator } from '../sim-swap/fake-camara-operator.js';
import { FakeUpstream, json } from '../verification/fake-upstream.js';

const base = {
  name: 'fake',
  country: 'JO',
  numberPrefixes: ['+96279'],
  enrichmentHeader: null,
  trustedRanges: [],
  monitoredPeriodDays: null,
  enabled: true,
};

/**
 * Both operator adapters go through one OutboundClient: the same OPERATOR_BREAKER_* settings, one
 * circuit per operator, the same 'circuit_open' record without a request, and failures that are
 * the caller's (a malformed proof, an unknown number) never opening a circuit.
 */
describe('the breaker registry the verify and CAMARA adapters share', () => {
  let upstream: FakeUpstream;
  let camara: FakeCamaraOperator;
  let outbound: OutboundClient;
  let verifyAdapter: UpstreamVerificationAdapter;
  let swapAdapter: CamaraSwapAdapter;

  beforeEach(async () => {
    upstream = await FakeUpstream.start(json(500, {}));
    camara = await new FakeCamaraOperator().start();
    const environment = validateEnvironment({
      OPERATOR_BREAKER_VOLUME_THRESHOLD: '2',
      OPERATOR_DEADLINE_MS: '1000',
      UPSTREAM_RETRIES: '0',
    });
    const secrets = {
      get: (_operatorId: string, name: string) =>
        Promise.resolve(
          name === 'apiKey'
            ? 'upstream-api-key'
            : name === 'clientSecret'
              ? camara.clientSecret
              : undefined,
        ),
    } as unknown as OperatorSecretsService;
    const http = new HttpService(axios.create());
    outbound = new OutboundClient(environment, new MetricsService());
    verifyAdapter = new UpstreamVerificationAdapter(
      environment,
      http,
      secrets,
      outbound,
      {} as BalanceService,
    );
    swapAdapter = new CamaraSwapAdapter(http, secrets, outbound, new Clock());
  });

  afterEach(async () => {
    outbound.onModuleDestroy();
    await upstream.stop();
    await camara.stop();
  });

  const upstreamOperator = (id: string): OperatorView => ({
    ...base,
    id,
    adapterKind: 'upstream',
    settings: { baseUrl: upstream.url, clientId: 'cli_upstream' },
    swapEvents: { sim: 'none', device: 'none' },
  });
  const camaraOperator = (id: string): OperatorView => ({
    ...base,
    id,
    adapterKind: 'camara',
    settings: { baseUrl: camara.baseUrl, tokenUrl: camara.tokenUrl, clientId: camara.clientId },
    swapEvents: { sim: 'polling', device: 'polling' },
  });
  const verify = (operator: OperatorView, calls: UpstreamCall[] = []): Promise<unknown> =>
    verifyAdapter.upstreamVerify(
      operator,
      {
        mobileNumber: '+962791234567',
        encryptedMobileNumber: 'a.b.c.d.e',
        operatorId: operator.id,
        serviceType: 'LOGIN',
      },
      { upstream: calls },
      'corr',
    );
  const swapCheck = (operator: OperatorView, calls: UpstreamCall[] = []): Promise<unknown> => {
    const query: SwapQuery = {
      operator,
      kind: 'sim',
      phoneNumber: '+962791234567',
      signal: AbortSignal.timeout(1_000),
      correlationId: 'corr',
      upstream: calls,
    };
    return swapAdapter.check(query, 240);
  };
  const settle = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => 'ok',
      (error: unknown) => error,
    );

  it('opens each adapter’s circuit after OPERATOR_BREAKER_VOLUME_THRESHOLD failures, and records circuit_open without a request', async () => {
    camara.behaviours.set('sim-swap/v2/check', { kind: 'answer', status: 503, body: {} });
    for (let i = 0; i < 2; i += 1) {
      await settle(verify(upstreamOperator('UP_A')));
      await settle(swapCheck(camaraOperator('CAM_A')));
    }
    const verifyCalls: UpstreamCall[] = [];
    const swapCalls: UpstreamCall[] = [];
    await expect(verify(upstreamOperator('UP_A'), verifyCalls)).rejects.toMatchObject({
      status: 503,
    });
    await expect(swapCheck(camaraOperator('CAM_A'), swapCalls)).rejects.toMatchObject({
      reason: 'unavailable',
    });
    expect(upstream.requests).toHaveLength(2);
    expect(camara.callsTo('sim-swap/v2/check')).toHaveLength(2);
    expect(verifyCalls).toEqual([
      { operatorId: 'UP_A', status: 'circuit_open', latencyMs: expect.any(Number) },
    ]);
    expect(swapCalls).toEqual([{ operatorId: 'CAM_A', status: 'circuit_open', latencyMs: 0 }]);
  });

  it('keeps one circuit per operator, whichever adapter opened another', async () => {
    camara.behaviours.set('sim-swap/v2/check', { kind: 'answer', status: 503, body: {} });
    for (let i = 0; i < 2; i += 1) await settle(verify(upstreamOperator('UP_B')));
    camara.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 200,
      body: { swapped: true },
    });
    await expect(swapCheck(camaraOperator('CAM_B'))).resolves.toBe(true);
    upstream.answer(json(200, { success: true, messages: [], data: { validNumber: true } }));
    await expect(verify(upstreamOperator('UP_C'))).resolves.toEqual({ validNumber: true });
  });

  it('never opens a circuit for answers that are the caller’s fault', async () => {
    upstream.answer(
      json(400, {
        success: false,
        messages: [{ type: 'FAILURE', code: 'INVALID_ENCRYPTED_MOBILE_NUMBER' }],
        data: null,
      }),
    );
    camara.behaviours.set('sim-swap/v2/check', {
      kind: 'answer',
      status: 404,
      body: { status: 404, code: 'IDENTIFIER_NOT_FOUND', message: 'x' },
    });
    for (let i = 0; i < 4; i += 1) {
      await expect(verify(upstreamOperator('UP_D'))).rejects.toMatchObject({ status: 400 });
      await expect(swapCheck(camaraOperator('CAM_D'))).rejects.toMatchObject({
        reason: 'identifier_not_found',
      });
    }
    expect(upstream.requests).toHaveLength(4);
    expect(camara.callsTo('sim-swap/v2/check')).toHaveLength(4);
  });
});
