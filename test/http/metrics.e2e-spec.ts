import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import CircuitBreaker from 'opossum';
import { MetricsEndpoint } from '../../src/common/metrics/metrics-endpoint.js';
import { MetricsService } from '../../src/common/metrics/metrics.service.js';
import { ConsoleJobs } from '../../src/modules/console/console.jobs.js';
import { apiKeyHeaders, createTestClient } from '../support/credentials-factory.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, itOnPostgres, type TestDatabase } from '../support/test-database.js';
import { VerificationKit, verifyBody } from '../verification/verification-kit.js';

const TOKEN = 'metrics-test-token-0123456789';

/** The value of one series in a Prometheus text exposition, or undefined when absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [
        pair[1],
        pair[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value))
      return Number(match[3]);
  }
  return undefined;
}

async function scrape(
  url: string,
  token: string | null = TOKEN,
): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text: await response.text(),
  };
}

describe('metrics', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let metricsUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, {
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_TOKEN: TOKEN,
      JOBS_ENABLED: 'true',
    });
    const address = app.get(MetricsEndpoint).address();
    metricsUrl = `http://127.0.0.1:${address?.port}/metrics`;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('are served on their own listener, only to a scraper with the token', async () => {
    const served = await scrape(metricsUrl);
    expect(served.status).toBe(200);
    expect(served.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(served.text).toContain('# TYPE gateway_http_request_duration_seconds histogram');
    expect(served.text).toContain('process_cpu_seconds_total');

    expect((await scrape(metricsUrl, null)).status).toBe(401);
    expect((await scrape(metricsUrl, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await scrape(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
    // The gateway's own port does not serve them when they have a listener of their own.
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });

  it('count requests by route pattern, method and status, never by the raw path', async () => {
    const before =
      sample((await scrape(metricsUrl)).text, 'gateway_http_request_duration_seconds_count', {
        method: 'GET',
        route: 'unmatched',
        status: '404',
      }) ?? 0;
    await app.inject({ method: 'GET', url: '/health/live' });
    await app.inject({ method: 'GET', url: '/health/live' });
    const transactionIds = [
      '6f1c7c1e-0d7e-4d43-9d42-3b0f1ad0c001',
      '6f1c7c1e-0d7e-4d43-9d42-3b0f1ad0c002',
    ];
    for (const id of transactionIds) {
      expect(
        (await app.inject({ method: 'POST', url: `/v1/api/verify/${id}`, payload: {} })).statusCode,
      ).toBe(401);
    }
    // Absolute-form and doubled slashes reach the same route, so they land in the same series.
    await app.inject({ method: 'POST', url: '//v1/api/verify', payload: {} });
    await app.inject({ method: 'POST', url: '/v1/api/verify', payload: {} });
    await app.inject({ method: 'GET', url: '/no/such/path/+31612345678' });

    const { text } = await scrape(metricsUrl);
    const count = (labels: Record<string, string>): number | undefined =>
      sample(text, 'gateway_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/health/live', status: '200' })).toBe(2);
    expect(count({ method: 'POST', route: '/v1/api/verify/:transactionId', status: '401' })).toBe(
      2,
    );
    expect(count({ method: 'POST', route: '/v1/api/verify', status: '401' })).toBe(2);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(before + 1);
    expect(
      sample(text, 'gateway_http_request_duration_seconds_bucket', {
        route: '/health/live',
        le: '+Inf',
      }),
    ).toBe(2);
    for (const id of transactionIds) expect(text).not.toContain(id);
    expect(text).not.toContain('31612345678');
    expect(text).not.toContain('/no/such/path');
  });

  it('count verdicts and audit events, group-commit batches and the chain head', async () => {
    const kit = new VerificationKit(app);
    const client = await kit.client();
    const { proof } = await kit.proof(client);
    const verified = await kit.verify(client, verifyBody({ encryptedMobileNumber: proof }));
    expect(verified.statusCode).toBe(200);

    const { text } = await scrape(metricsUrl);
    expect(
      sample(text, 'gateway_audit_events_total', {
        contract: 'authmatech',
        action: 'verify',
        outcome: 'success',
        verdict: 'validNumber=true',
      }),
    ).toBe(1);
    expect(
      sample(text, 'gateway_audit_events_total', {
        contract: 'authmatech',
        outcome: 'failure',
        verdict: 'none',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gateway_audit_batch_size_count', { result: 'ok' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(text, 'gateway_audit_commit_duration_seconds_count', { result: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gateway_audit_queue_depth')).toBe(0);
    expect(sample(text, 'gateway_audit_stalled_seconds')).toBe(0);
    const head = sample(text, 'gateway_audit_chain_head_position');
    const db = await database.connect();
    try {
      const { rows } = await db.query<{ position: string }>(
        'SELECT position::text AS position FROM audit_chain_head WHERE id = 1',
      );
      expect(head).toBe(Number(rows[0].position));
    } finally {
      await db.end();
    }
    expect(head).toBeGreaterThan(0);
  });

  it('count rate-limit refusals by contract and limit', async () => {
    const client = await createTestClient(app, { rateLimitPerMinute: 1 });
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/v1/api/me/products',
          headers: apiKeyHeaders(client),
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/v1/api/me/products',
          headers: apiKeyHeaders(client),
        })
      ).statusCode,
    ).toBe(429);
    const { text } = await scrape(metricsUrl);
    expect(
      sample(text, 'gateway_rate_limit_refusals_total', {
        contract: 'authmatech',
        limit: 'client',
      }),
    ).toBe(1);
  });

  it('report job runs and circuit breaker states', async () => {
    await app.get(ConsoleJobs).purgeSessions();
    const breaker = new CircuitBreaker(() => Promise.resolve('ok'), { name: 'metrics-test' });
    app.get(MetricsService).watchBreaker('verify', 'TEST_OPERATOR', breaker);
    try {
      let { text } = await scrape(metricsUrl);
      expect(
        sample(text, 'gateway_job_runs_total', { job: 'console.purge-sessions', result: 'ok' }),
      ).toBe(1);
      expect(
        sample(text, 'gateway_job_duration_seconds_count', { job: 'console.purge-sessions' }),
      ).toBe(1);
      expect(
        sample(text, 'gateway_upstream_breaker_state', {
          upstream: 'verify',
          operator: 'TEST_OPERATOR',
        }),
      ).toBe(0);
      breaker.open();
      ({ text } = await scrape(metricsUrl));
      expect(
        sample(text, 'gateway_upstream_breaker_state', {
          upstream: 'verify',
          operator: 'TEST_OPERATOR',
        }),
      ).toBe(2);
    } finally {
      breaker.shutdown();
    }
  });

  itOnPostgres('report the PostgreSQL pool', async () => {
    const { text } = await scrape(metricsUrl);
    expect(sample(text, 'gateway_db_pool_connections', { state: 'max' })).toBe(10);
    expect(sample(text, 'gateway_db_pool_connections', { state: 'open' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sample(text, 'gateway_db_pool_connections', { state: 'waiting' })).toBe(0);
  });

  itOnPostgres(
    'are served on the gateway port behind METRICS_TOKEN, and not at all in production without one',
    async () => {
      const tokenApp = await startTestApp(database, { METRICS_TOKEN: TOKEN });
      const openProduction = await startTestApp(database, { NODE_ENV: 'production' });
      try {
        await tokenApp.listen({ port: 0, host: '127.0.0.1' });
        const url = `${await tokenApp.getUrl()}/metrics`;
        const served = await scrape(url);
        expect(served.status).toBe(200);
        expect(served.text).toContain('gateway_http_request_duration_seconds');
        expect((await scrape(url, null)).status).toBe(401);
        expect((await openProduction.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(
          404,
        );
      } finally {
        await tokenApp.close();
        await openProduction.close();
      }
    },
  );

  itOnPostgres('of a started gateway process count its own traffic', async () => {
    const gateway = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
    });
    try {
      const served = /metrics served at (http:\/\/\S+\/metrics)/.exec(gateway.output());
      expect(served).not.toBeNull();
      expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
      const { status, text } = await scrape(served![1]);
      expect(status).toBe(200);
      expect(
        sample(text, 'gateway_http_request_duration_seconds_count', {
          method: 'GET',
          route: '/health/ready',
          status: '200',
        }),
      ).toBe(1);
    } finally {
      await gateway.stop();
    }
  });
});
