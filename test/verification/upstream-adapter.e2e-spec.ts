import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { validateEnvironment } from '../../src/common/config/environment.js';
import type { AuditFacts } from '../../src/common/http/audit-facts.js';
import { MetricsService } from '../../src/common/metrics/metrics.service.js';
import { ApiError } from '../../src/common/errors/api-error.js';
import type { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import type { OperatorView } from '../../src/modules/operators/operators.service.js';
import { OutboundClient } from '../../src/common/outbound/outbound-client.js';
import type { BalanceService } from '../../src/modules/verification/balance.service.js';
import { UpstreamVerificationAdapter } from '../../src/modules/verification/adapters/upstream-verification.adapter.js';
import { FakeUpstream, hang, json, verdictEnvelope } from './fake-upstream.js';

const request = {
  mobileNumber: '+962791234567',
  encryptedMobileNumber: 'a.b.c.d.e',
  operatorId: 'ZAIN_JO',
  serviceType: 'LOGIN',
};

function operator(baseUrl: string, id = 'UP_JO'): OperatorView {
  return {
    id,
    name: 'Upstream',
    country: 'JO',
    numberPrefixes: ['+96279'],
    enrichmentHeader: null,
    trustedRanges: [],
    adapterKind: 'upstream',
    settings: { baseUrl, clientId: 'cli_upstream', upstreamOperatorId: 'ZAIN_JO' },
    monitoredPeriodDays: null,
    enabled: true,
    swapEvents: { sim: 'none', device: 'none' },
  };
}

const secrets = {
  get: (_operatorId: string, name: string) =>
    Promise.resolve(name === 'apiKey' ? 'upstream-api-key' : undefined),
  put: () => Promise.resolve(),
} as unknown as OperatorSecretsService;

// The adapter and the outbound client (its breaker registry) it shares with the CAMARA adapter.
function calls(overrides: Record<string, string> = {}): {
  adapter: UpstreamVerificationAdapter;
  outbound: OutboundClient;
} {
  const environment = validateEnvironment({
    OPERATOR_DEADLINE_MS: '300',
    CIRCUIT_BREAKER_VOLUME_THRESHOLD: '3',
    ...overrides,
  });
  const outbound = new OutboundClient(environment, new MetricsService());
  const adapter = new UpstreamVerificationAdapter(
    environment,
    new HttpService(axios.create()),
    secrets,
    outbound,
    {} as BalanceService,
  );
  return { adapter, outbound };
}

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ status: 503, code: 'OPERATOR_UNAVAILABLE' });
}

describe('the upstream operator adapter', () => {
  let fake: FakeUpstream;
  let service: UpstreamVerificationAdapter;
  let outbound: OutboundClient;

  beforeEach(async () => {
    fake = await FakeUpstream.start(json(200, verdictEnvelope(true)));
    ({ adapter: service, outbound } = calls());
  });

  afterEach(async () => {
    outbound.onModuleDestroy();
    await fake.stop();
  });

  it('forwards the seed body with the upstream credentials and returns the upstream verdict', async () => {
    const facts: AuditFacts = {};
    await expect(
      service.upstreamVerify(operator(fake.url), request, facts, 'corr-1'),
    ).resolves.toEqual({ validNumber: true });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/api/verify?maskMobile=false');
    expect(sent.headers['x-api-key']).toBe('upstream-api-key');
    expect(sent.headers['x-client-id']).toBe('cli_upstream');
    expect(sent.headers['x-correlator']).toBe('corr-1');
    expect(JSON.parse(sent.body)).toEqual(request);
    expect(facts.upstream).toEqual([
      { operatorId: 'UP_JO', status: 200, latencyMs: expect.any(Number) },
    ]);
  });

  it('passes on a negative verdict with its warning code', async () => {
    fake.answer(json(200, verdictEnvelope(false, 'PROOF_ALREADY_USED')));
    await expect(service.upstreamVerify(operator(fake.url), request, {}, 'c')).resolves.toEqual({
      validNumber: false,
      reason: 'PROOF_ALREADY_USED',
    });
  });

  it('answers 503 for a 5xx upstream, without retrying a request that reached it', async () => {
    fake.answer(json(502, { oops: true }));
    const facts: AuditFacts = {};
    await expectUnavailable(service.upstreamVerify(operator(fake.url), request, facts, 'c'));
    expect(fake.requests).toHaveLength(1);
    expect(facts.upstream).toEqual([
      { operatorId: 'UP_JO', status: 502, latencyMs: expect.any(Number) },
    ]);
  });

  it('answers 503 for malformed JSON and for a 200 without a verdict', async () => {
    fake.answer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"success":tru'),
    );
    const facts: AuditFacts = {};
    await expectUnavailable(service.upstreamVerify(operator(fake.url), request, facts, 'c'));
    expect(facts.upstream?.[0].status).toBe('malformed');
    fake.answer(json(200, { success: true, messages: [], data: { validNumber: 'yes' } }));
    await expectUnavailable(service.upstreamVerify(operator(fake.url), request, {}, 'c'));
  });

  it('answers 503 at the deadline when the upstream hangs, and does not retry', async () => {
    fake.answer(hang);
    const facts: AuditFacts = {};
    await expectUnavailable(service.upstreamVerify(operator(fake.url), request, facts, 'c'));
    expect(fake.requests).toHaveLength(1);
    expect(facts.upstream).toEqual([
      { operatorId: 'UP_JO', status: 'timeout', latencyMs: expect.any(Number) },
    ]);
  });

  it('answers 503 when the upstream is slower than the deadline', async () => {
    fake.answer((_request, response) => {
      const timer = setTimeout(
        () => response.writeHead(200).end(JSON.stringify(verdictEnvelope(true))),
        2_000,
      );
      response.on('close', () => {
        clearTimeout(timer);
      });
    });
    await expectUnavailable(service.upstreamVerify(operator(fake.url), request, {}, 'c'));
  });

  it('retries a refused connection once, then answers 503', async () => {
    const url = fake.url;
    await fake.stop();
    const facts: AuditFacts = {};
    await expectUnavailable(service.upstreamVerify(operator(url), request, facts, 'c'));
    expect(facts.upstream?.map((call) => call.status)).toEqual(['network', 'network']);
    fake = await FakeUpstream.start(json(200, verdictEnvelope(true)));
  });

  it('opens the circuit after repeated failures and stops calling the upstream', async () => {
    fake.answer(json(500, {}));
    for (let i = 0; i < 3; i += 1)
      await expectUnavailable(service.upstreamVerify(operator(fake.url), request, {}, 'c'));
    const facts: AuditFacts = {};
    await expectUnavailable(service.upstreamVerify(operator(fake.url), request, facts, 'c'));
    expect(fake.requests).toHaveLength(3);
    expect(facts.upstream).toEqual([
      { operatorId: 'UP_JO', status: 'circuit_open', latencyMs: expect.any(Number) },
    ]);
  });

  it('keeps one circuit per operator', async () => {
    fake.answer(json(500, {}));
    for (let i = 0; i < 3; i += 1)
      await expectUnavailable(service.upstreamVerify(operator(fake.url, 'A_JO'), request, {}, 'c'));
    fake.answer(json(200, verdictEnvelope(true)));
    await expect(
      service.upstreamVerify(operator(fake.url, 'B_JO'), request, {}, 'c'),
    ).resolves.toEqual({ validNumber: true });
  });

  it('relays an upstream 400 for a malformed proof as the same 400, without counting it against the circuit', async () => {
    fake.answer(
      json(400, {
        success: false,
        messages: [{ type: 'FAILURE', code: 'INVALID_ENCRYPTED_MOBILE_NUMBER' }],
        data: null,
      }),
    );
    for (let i = 0; i < 4; i += 1) {
      await expect(
        service.upstreamVerify(operator(fake.url), request, {}, 'c'),
      ).rejects.toMatchObject({ status: 400, code: 'INVALID_ENCRYPTED_MOBILE_NUMBER' });
    }
    expect(fake.requests).toHaveLength(4);
  });

  it('answers 503 when the operator has no upstream credentials', async () => {
    const bare = { ...operator(fake.url), settings: { baseUrl: fake.url } };
    await expectUnavailable(service.upstreamVerify(bare, request, {}, 'c'));
    expect(fake.requests).toHaveLength(0);
  });
});
