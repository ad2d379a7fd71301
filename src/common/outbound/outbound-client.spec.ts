import { jest } from '@jest/globals';
import { validateEnvironment } from '../config/environment.js';
import type { UpstreamCall } from '../http/audit-facts.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import { CallRecorder } from './call-recorder.js';
import { isBreakerOpen, joinUrl, OutboundClient, transportFailureOf } from './outbound-client.js';

function client(environment: Record<string, string> = {}): {
  outbound: OutboundClient;
  watchBreaker: jest.Mock;
} {
  const watchBreaker = jest.fn();
  const outbound = new OutboundClient(validateEnvironment(environment), {
    watchBreaker,
  } as unknown as MetricsService);
  return { outbound, watchBreaker };
}

const failing = (error: Error) => () => Promise.reject(error);

describe('failure classification', () => {
  it('calls a failure after the deadline a timeout, whatever the transport said', () => {
    const aborted = AbortSignal.abort();
    expect(
      transportFailureOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), aborted),
    ).toEqual({ label: 'timeout', neverSent: false });
  });

  it('calls a refused connection a network failure that never reached the operator', () => {
    expect(
      transportFailureOf(
        Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
        new AbortController().signal,
      ),
    ).toEqual({
      label: 'network',
      neverSent: true,
    });
  });

  it('calls any other transport failure a network failure that may have reached the operator', () => {
    for (const error of [
      Object.assign(new Error('x'), { code: 'ECONNRESET' }),
      new Error('socket hang up'),
      undefined,
    ]) {
      expect(transportFailureOf(error, new AbortController().signal)).toEqual({
        label: 'network',
        neverSent: false,
      });
    }
  });

  it('tells an open circuit from an operator’s failure', async () => {
    const { outbound } = client({ OPERATOR_BREAKER_VOLUME_THRESHOLD: '1' });
    const fiveHundred = Object.assign(new Error('operator answered 500'), { status: 500 });
    const first = await outbound
      .throughBreaker({ family: 'swap', operatorId: 'OP' }, failing(fiveHundred))
      .catch((error: unknown) => error);
    expect(first).toBe(fiveHundred);
    expect(isBreakerOpen(first)).toBe(false);
    const work = jest.fn(() => Promise.resolve('never'));
    const second = await outbound
      .throughBreaker({ family: 'swap', operatorId: 'OP' }, work)
      .catch((error: unknown) => error);
    expect(isBreakerOpen(second)).toBe(true);
    expect(work).not.toHaveBeenCalled();
    outbound.onModuleDestroy();
  });
});

describe(OutboundClient.name, () => {
  it('keeps one circuit per family and operator, watched by the metrics under the family’s label', async () => {
    const { outbound, watchBreaker } = client({ OPERATOR_BREAKER_VOLUME_THRESHOLD: '1' });
    await outbound
      .throughBreaker({ family: 'verify', operatorId: 'A' }, failing(new Error('down')))
      .catch(() => undefined);
    await expect(
      outbound.throughBreaker({ family: 'verify', operatorId: 'B' }, () => Promise.resolve(1)),
    ).resolves.toBe(1);
    await expect(
      outbound.throughBreaker({ family: 'swap', operatorId: 'A' }, () => Promise.resolve(2)),
    ).resolves.toBe(2);
    expect(watchBreaker.mock.calls.map(([label, operator]) => [label, operator])).toEqual([
      ['verify', 'A'],
      ['verify', 'B'],
      ['camara_swap', 'A'],
    ]);
    outbound.onModuleDestroy();
  });

  it('does not count failures its caller marks healthy', async () => {
    const { outbound } = client({ OPERATOR_BREAKER_VOLUME_THRESHOLD: '1' });
    const unknownNumber = new Error('unknown number');
    const key = {
      family: 'swap' as const,
      operatorId: 'OP',
      isHealthy: (error: unknown) => error === unknownNumber,
    };
    for (let i = 0; i < 3; i += 1)
      await expect(outbound.throughBreaker(key, failing(unknownNumber))).rejects.toBe(
        unknownNumber,
      );
    await expect(outbound.throughBreaker(key, () => Promise.resolve('ok'))).resolves.toBe('ok');
    outbound.onModuleDestroy();
  });

  it('opens only when OPERATOR_BREAKER_ERROR_PERCENT of at least the volume threshold failed', async () => {
    const { outbound } = client({
      OPERATOR_BREAKER_VOLUME_THRESHOLD: '4',
      OPERATOR_BREAKER_ERROR_PERCENT: '75',
    });
    const key = { family: 'verify' as const, operatorId: 'OP' };
    await outbound.throughBreaker(key, () => Promise.resolve('ok'));
    await outbound.throughBreaker(key, () => Promise.resolve('ok'));
    for (let i = 0; i < 2; i += 1)
      await outbound.throughBreaker(key, failing(new Error('down'))).catch(() => undefined);
    // 2 of 4 failed: below 75 %, still closed (and the next success makes it 2 of 5).
    await expect(outbound.throughBreaker(key, () => Promise.resolve('still asked'))).resolves.toBe(
      'still asked',
    );
    // 3 answered and 10 failed: above 75 % (opossum opens only above the threshold).
    for (let i = 0; i < 8; i += 1)
      await outbound.throughBreaker(key, failing(new Error('down'))).catch(() => undefined);
    const refused = await outbound
      .throughBreaker(key, () => Promise.resolve('never'))
      .catch((error: unknown) => error);
    expect(isBreakerOpen(refused)).toBe(true);
    outbound.onModuleDestroy();
  });

  it('gives each family the deadline of its settings', async () => {
    const { outbound } = client({ SIM_SWAP_DEADLINE_MS: '60' });
    const started = performance.now();
    await expect(outbound.withDeadline('swap', () => new Promise(() => undefined))).rejects.toThrow(
      'deadline',
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(outbound.settings('verify').deadlineMs).toBe(2_000);
  });
});

describe(CallRecorder.name, () => {
  it('records each attempt once, with its status and latency', () => {
    const calls: UpstreamCall[] = [];
    const recorder = new CallRecorder(calls, 'OP');
    const attempt = recorder.attempt();
    attempt.end(502);
    attempt.end('network');
    recorder.note('circuit_open');
    expect(calls).toEqual([
      { operatorId: 'OP', status: 502, latencyMs: expect.any(Number) },
      { operatorId: 'OP', status: 'circuit_open', latencyMs: 0 },
    ]);
  });

  it('records an attempt the deadline cut short as one timeout, however it ends later', () => {
    const calls: UpstreamCall[] = [];
    const recorder = new CallRecorder(calls, 'OP');
    recorder.attempt().end('network');
    const inFlight = recorder.attempt();
    recorder.expire();
    inFlight.end('timeout');
    inFlight.end(200);
    recorder.expire();
    expect(calls.map((call) => call.status)).toEqual(['network', 'timeout']);
  });
});

describe(joinUrl.name, () => {
  it('puts the path under the base URL, with or without its trailing slash', () => {
    expect(joinUrl('https://op.example/camara', 'sim-swap/v2/check')).toBe(
      'https://op.example/camara/sim-swap/v2/check',
    );
    expect(joinUrl('https://op.example/camara/', 'sim-swap/v2/check')).toBe(
      'https://op.example/camara/sim-swap/v2/check',
    );
    expect(joinUrl('https://up.example', 'v1/api/verify?maskMobile=false')).toBe(
      'https://up.example/v1/api/verify?maskMobile=false',
    );
  });
});
