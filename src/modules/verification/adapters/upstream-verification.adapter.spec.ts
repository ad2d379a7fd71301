import { jest } from '@jest/globals';
import type { HttpService } from '@nestjs/axios';
import type { AxiosRequestConfig } from 'axios';
import { defer } from 'rxjs';
import { validateEnvironment } from '../../../common/config/environment.js';
import type { AuditFacts } from '../../../common/http/audit-facts.js';
import type { MetricsService } from '../../../common/metrics/metrics.service.js';
import { OutboundClient } from '../../../common/outbound/outbound-client.js';
import type { OperatorSecretsService } from '../../operators/operator-secrets.service.js';
import type { OperatorView } from '../../operators/operators.service.js';
import type { BalanceService } from '../balance.service.js';
import { UpstreamVerificationAdapter } from './upstream-verification.adapter.js';

type Post = (
  url: string,
  body: unknown,
  config: AxiosRequestConfig,
) => Promise<{ status: number; data: string }>;

const operator: OperatorView = {
  id: 'UP_JO',
  name: 'Upstream',
  country: 'JO',
  numberPrefixes: ['+96279'],
  enrichmentHeader: null,
  trustedRanges: [],
  adapterKind: 'upstream',
  settings: { baseUrl: 'http://upstream.invalid', clientId: 'cli_upstream' },
  monitoredPeriodDays: null,
  enabled: true,
  swapEvents: { sim: 'none', device: 'none' },
};
const request = {
  mobileNumber: '+962791234567',
  encryptedMobileNumber: 'a.b.c.d.e',
  operatorId: 'UP_JO',
  serviceType: 'LOGIN',
};
const verdict = JSON.stringify({ success: true, messages: [], data: { validNumber: true } });

/** The adapter with a mocked HTTP client and secrets, and a real OutboundClient (deadline, breaker, recorder). */
function adapterWith(post: Post, environment: Record<string, string> = {}) {
  const env = validateEnvironment({
    OPERATOR_DEADLINE_MS: '100',
    OPERATOR_BREAKER_VOLUME_THRESHOLD: '2',
    ...environment,
  });
  const http = {
    post: jest.fn((url: string, body: unknown, config: AxiosRequestConfig) =>
      defer(() => post(url, body, config)),
    ),
  };
  const secrets = { get: () => Promise.resolve('api-key') } as unknown as OperatorSecretsService;
  const outbound = new OutboundClient(env, {
    watchBreaker: () => undefined,
  } as unknown as MetricsService);
  const adapter = new UpstreamVerificationAdapter(
    env,
    http as unknown as HttpService,
    secrets,
    outbound,
    {} as BalanceService,
  );
  return { adapter, http, outbound };
}

async function statusesOf(
  adapter: UpstreamVerificationAdapter,
): Promise<{ error: unknown; statuses: (string | number)[] }> {
  const facts: AuditFacts = {};
  const error = await adapter.upstreamVerify(operator, request, facts, 'corr').then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, statuses: (facts.upstream ?? []).map((call) => call.status) };
}

const refused = (): Promise<never> =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
const untilAborted = (_url: string, _body: unknown, config: AxiosRequestConfig): Promise<never> =>
  new Promise((_, reject) => {
    (config.signal as AbortSignal).addEventListener('abort', () => {
      reject(new Error('canceled'));
    });
  });

describe(UpstreamVerificationAdapter.name, () => {
  describe('failure classification', () => {
    it('records a 5xx as its status, answers 503, and does not retry a request that reached the upstream', async () => {
      const { adapter, http, outbound } = adapterWith(() =>
        Promise.resolve({ status: 502, data: '{}' }),
      );
      const { error, statuses } = await statusesOf(adapter);
      expect(error).toMatchObject({ status: 503, code: 'OPERATOR_UNAVAILABLE' });
      expect(statuses).toEqual([502]);
      expect(http.post).toHaveBeenCalledTimes(1);
      outbound.onModuleDestroy();
    });

    it('records a refused connection as network and retries it UPSTREAM_RETRIES times', async () => {
      const { adapter, http, outbound } = adapterWith(refused, { UPSTREAM_RETRIES: '2' });
      const { error, statuses } = await statusesOf(adapter);
      expect(error).toMatchObject({ status: 503 });
      expect(statuses).toEqual(['network', 'network', 'network']);
      expect(http.post).toHaveBeenCalledTimes(3);
      outbound.onModuleDestroy();
    });

    it('records any other transport failure as network without retrying (it may have reached the upstream)', async () => {
      const { adapter, http, outbound } = adapterWith(() =>
        Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
      );
      expect((await statusesOf(adapter)).statuses).toEqual(['network']);
      expect(http.post).toHaveBeenCalledTimes(1);
      outbound.onModuleDestroy();
    });

    it('records a call cut by the deadline once, as timeout', async () => {
      const { adapter, http, outbound } = adapterWith(untilAborted);
      const { error, statuses } = await statusesOf(adapter);
      expect(error).toMatchObject({ status: 503 });
      expect(statuses).toEqual(['timeout']);
      expect(http.post.mock.calls[0][2].signal?.aborted).toBe(true);
      outbound.onModuleDestroy();
    });

    it('records a timeout even when the HTTP client ignores the abort', async () => {
      const { adapter, outbound } = adapterWith(() => new Promise(() => undefined));
      expect((await statusesOf(adapter)).statuses).toEqual(['timeout']);
      outbound.onModuleDestroy();
    });

    it('records circuit_open, without a request, once the breaker opened', async () => {
      const { adapter, http, outbound } = adapterWith(() =>
        Promise.resolve({ status: 500, data: '{}' }),
      );
      await statusesOf(adapter);
      await statusesOf(adapter);
      const { error, statuses } = await statusesOf(adapter);
      expect(error).toMatchObject({ status: 503, code: 'OPERATOR_UNAVAILABLE' });
      expect(statuses).toEqual(['circuit_open']);
      expect(http.post).toHaveBeenCalledTimes(2);
      outbound.onModuleDestroy();
    });

    it('returns a well-formed verdict, recorded as 200', async () => {
      const { adapter, outbound } = adapterWith(() =>
        Promise.resolve({ status: 200, data: verdict }),
      );
      const facts: AuditFacts = {};
      await expect(adapter.upstreamVerify(operator, request, facts, 'corr')).resolves.toEqual({
        validNumber: true,
      });
      expect(facts.upstream?.map((call) => call.status)).toEqual([200]);
      outbound.onModuleDestroy();
    });
  });
});
