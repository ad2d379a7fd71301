import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { FakeUpstream, json, verdictEnvelope } from '../verification/fake-upstream.js';

/** One span as OTLP/JSON carries it (the fields the test reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
  scope: string;
  service: string;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

/** An OTLP/HTTP collector on 127.0.0.1: records every export request and the spans of the JSON ones. */
class FakeCollector {
  readonly spans: OtlpSpan[] = [];
  readonly requests: { path: string; contentType: string; body: Buffer }[] = [];
  private readonly server: Server;

  private constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = request.headers['content-type'] ?? '';
        this.requests.push({ path: request.url ?? '', contentType, body });
        if (contentType.startsWith('application/json')) this.record(body);
        response
          .writeHead(200, { 'content-type': contentType })
          .end(contentType.startsWith('application/json') ? '{}' : '');
      });
    });
  }

  static async start(): Promise<FakeCollector> {
    const collector = new FakeCollector();
    await new Promise<void>((resolve) => collector.server.listen(0, '127.0.0.1', resolve));
    return collector;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private record(body: Buffer): void {
    const parsed = JSON.parse(body.toString('utf8')) as {
      resourceSpans: {
        resource: { attributes: OtlpSpan['attributes'] };
        scopeSpans: { scope: { name: string }; spans: Omit<OtlpSpan, 'scope' | 'service'>[] }[];
      }[];
    };
    for (const resourceSpans of parsed.resourceSpans) {
      const service =
        resourceSpans.resource.attributes.find((entry) => entry.key === 'service.name')?.value
          .stringValue ?? '';
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans)
          this.spans.push({ ...span, scope: scopeSpans.scope.name, service });
      }
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

function attribute(span: OtlpSpan, ...keys: string[]): string | undefined {
  const found = span.attributes.find((entry) => keys.includes(entry.key));
  return found && String(found.value.stringValue ?? found.value.intValue);
}

/**
 * A module loader hook, preloaded with `--import`, that appends every URL the process resolves to
 * a file: how the tests see which modules the gateway loaded (ESM imports; OpenTelemetry's own
 * entry points are all imported so).
 */
async function writeModuleProbe(
  folder: string,
): Promise<{ options: string; loaded: () => Promise<string[]> }> {
  const log = path.join(folder, 'modules.log');
  const hooks = path.join(folder, 'probe-hooks.mjs');
  const registration = path.join(folder, 'probe.mjs');
  await writeFile(log, '');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
  return resolved;
}
`,
  );
  await writeFile(
    registration,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return {
    options: `--import ${pathToFileURL(registration).href}`,
    loaded: async () => (await readFile(log, 'utf8')).split('\n').filter((line) => line !== ''),
  };
}

const OPENTELEMETRY_MODULE =
  /\/node_modules\/(@opentelemetry|@fastify\/otel|import-in-the-middle|require-in-the-middle)\//;
// The one exception: pg-boss (webhook delivery) imports the OpenTelemetry API package itself, which
// does nothing without an SDK (no tracer, no hook, no exporter); every other OpenTelemetry module stays unloaded.
const OPENTELEMETRY_API = /\/node_modules\/@opentelemetry\/api\//;

// The real built gateway as `npm start` runs it, on PostgreSQL, exporting to a collector.
describeOnPostgres('tracing (OpenTelemetry, OTLP/HTTP)', () => {
  let database: TestDatabase;
  let folder: string;
  let collector: FakeCollector;
  let operator: FakeUpstream;

  beforeAll(async () => {
    database = await createTestDatabase();
    folder = await mkdtemp(path.join(tmpdir(), 'mig-tracing-'));
    collector = await FakeCollector.start();
    operator = await FakeUpstream.start(json(200, verdictEnvelope(true)));
  });

  afterAll(async () => {
    await operator?.stop();
    await collector?.stop();
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  function gatewayEnv(
    extra: Record<string, string | undefined>,
  ): Record<string, string | undefined> {
    return {
      ...database.overrides,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      EMBEDDED_DATA_DIR: path.join(folder, 'pglite'),
      ...extra,
    };
  }

  async function call(
    gateway: GatewayProcess,
    adminKey: string,
    method: string,
    url: string,
    body: unknown,
  ): Promise<unknown> {
    const response = await fetch(`${gateway.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }

  it('one verify is one trace under the caller’s traceparent: server span, route handler, operator call (traceparent sent on) and the audit insert', async () => {
    const probe = await writeModuleProbe(folder);
    const gateway = await startGatewayProcess(
      gatewayEnv({
        NODE_OPTIONS: probe.options,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: 'gateway-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      }),
    );
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    let exitCode: number | null;
    let secrets: string[];
    const exportsBefore = collector.requests.length;
    try {
      const adminKey = (
        JSON.parse(await readFile(path.join(folder, 'admin-key.json'), 'utf8')) as { key: string }
      ).key;
      const created = (await call(gateway, adminKey, 'POST', '/admin/v1/clients', {
        name: 'Traced bank',
        environment: 'LIVE',
        products: ['VERIFY'],
      })) as {
        client: { clientId: string };
        credentials: { apiKey: string };
      };
      const clientId = created.client.clientId;
      await call(gateway, adminKey, 'POST', `/admin/v1/clients/${clientId}/balance/top-up`, {
        credits: 10,
      });
      await call(gateway, adminKey, 'POST', '/admin/v1/operators', {
        id: 'TRACE_UP',
        name: 'Traced upstream',
        country: 'JO',
        numberPrefixes: ['+96279'],
        adapterKind: 'upstream',
        settings: { baseUrl: operator.url, clientId: 'cli_traced', upstreamOperatorId: 'ZAIN_JO' },
      });
      await call(gateway, adminKey, 'PUT', '/admin/v1/operators/TRACE_UP/secrets/apiKey', {
        value: 'upstream-key',
      });

      const verify = await fetch(`${gateway.url}/v1/api/verify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-client-id': clientId,
          'x-api-key': created.credentials.apiKey,
          traceparent: `00-${traceId}-${callerSpanId}-01`,
        },
        body: JSON.stringify({
          mobileNumber: '+962791234567',
          encryptedMobileNumber: 'a.b.c.d.e',
          operatorId: 'TRACE_UP',
          serviceType: 'LOGIN',
        }),
      });
      expect(verify.status).toBe(200);
      expect(await verify.json()).toEqual(expect.objectContaining({ data: { validNumber: true } }));
      secrets = [adminKey, created.credentials.apiKey, 'upstream-key'];

      // A number in a matched route's query and in an unmatched path: spans name neither.
      const search = await fetch(
        `${gateway.url}/admin/v1/audit/events?phoneNumber=%2B962791234567&limit=1`,
        { headers: { authorization: `Bearer ${adminKey}` } },
      );
      expect(search.status).toBe(200);
      expect((await fetch(`${gateway.url}/nothing/+962791234567`)).status).toBe(404);
    } finally {
      // SIGTERM: the gateway exports the spans it still buffers before it exits.
      exitCode = await gateway.stop();
    }
    expect(exitCode).toBe(0);

    const spans = collector.spans.filter((span) => span.traceId === traceId);
    const byId = new Map(spans.map((span) => [span.spanId, span]));

    const server = spans.find(
      (span) =>
        span.kind === SPAN_KIND_SERVER && span.scope === '@opentelemetry/instrumentation-http',
    );
    expect(server).toBeDefined();
    expect(server!.parentSpanId).toBe(callerSpanId);
    expect(attribute(server!, 'http.route', 'url.path', 'http.target')).toContain('/v1/api/verify');

    // The route handler (Nest's guard, pipes and interceptors run inside it), from @fastify/otel.
    expect(
      spans
        .filter((span) => span.scope === '@fastify/otel' && span.name.startsWith('handler - '))
        .map((span) => span.name),
    ).toEqual(['handler - VerificationController.verify']);
    // OTEL_SERVICE_NAME names the resource.
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['gateway-under-test']));

    // The operator call: axios over node:http, with the trace propagated to the operator.
    const operatorPort = new URL(operator.url).port;
    const outgoing = spans.find(
      (span) =>
        span.kind === SPAN_KIND_CLIENT &&
        span.scope === '@opentelemetry/instrumentation-http' &&
        attribute(span, 'server.port', 'net.peer.port') === operatorPort,
    );
    expect(outgoing).toBeDefined();
    const sent = operator.requests.at(-1)!;
    expect(sent.headers.traceparent).toBe(`00-${traceId}-${outgoing!.spanId}-01`);

    // The audit commit: the group-commit statement that inserts the verify's event.
    const auditInsert = spans.find(
      (span) =>
        span.scope === '@opentelemetry/instrumentation-pg' &&
        /INSERT INTO audit_event/i.test(attribute(span, 'db.query.text', 'db.statement') ?? ''),
    );
    expect(auditInsert).toBeDefined();
    // Statements only: no bound parameter (hashes, numbers) reaches the collector.
    expect(auditInsert!.attributes.map((entry) => entry.key)).not.toContain('db.postgresql.values');

    // One tree: every span of the trace hangs, through spans of the trace, from the server span.
    for (const span of spans) {
      let node: OtlpSpan | undefined = span;
      while (node && node !== server)
        node = node.parentSpanId ? byId.get(node.parentSpanId) : undefined;
      expect({ span: span.name, rooted: node === server }).toEqual({
        span: span.name,
        rooted: true,
      });
    }
    // No phone number (body, path, query, statement parameters) and no credential reaches the collector.
    const exported = collector.requests
      .slice(exportsBefore)
      .map((request) => request.body.toString('utf8'))
      .join('\n');
    expect(exported).toContain('/admin/v1/audit/events');
    expect(exported).toContain('/nothing/…');
    for (const secret of ['962791234567', ...secrets])
      expect({ secret, exported: exported.includes(secret) }).toEqual({ secret, exported: false });
    // Health probes are not traced.
    expect(
      collector.spans.some(
        (span) => attribute(span, 'url.path', 'http.target') === '/health/ready',
      ),
    ).toBe(false);
    expect((await probe.loaded()).some((url) => OPENTELEMETRY_MODULE.test(url))).toBe(true);
  });

  it('exports OTLP http/protobuf by default', async () => {
    const before = collector.requests.length;
    const gateway = await startGatewayProcess(
      gatewayEnv({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      }),
    );
    const traceId = randomBytes(16).toString('hex');
    try {
      const reply = await fetch(`${gateway.url}/v1/api/me/usage`, {
        headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      });
      expect(reply.status).toBe(401);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    const exports = collector.requests.slice(before);
    expect(exports.length).toBeGreaterThan(0);
    expect(
      exports.every(
        (request) =>
          request.path === '/v1/traces' && request.contentType === 'application/x-protobuf',
      ),
    ).toBe(true);
    // Trace ids are raw 16-byte fields in the protobuf encoding.
    expect(exports.some((request) => request.body.includes(Buffer.from(traceId, 'hex')))).toBe(
      true,
    );
  });

  it('with tracing off (no OTEL_TRACES_EXPORTER) the gateway loads no OpenTelemetry SDK, instrumentation or hook (only the API pg-boss imports)', async () => {
    const probe = await writeModuleProbe(folder);
    const gateway = await startGatewayProcess(
      gatewayEnv({ NODE_OPTIONS: probe.options, OTEL_TRACES_EXPORTER: undefined }),
    );
    try {
      expect((await fetch(`${gateway.url}/v1/api/me/usage`)).status).toBe(401);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    const loaded = await probe.loaded();
    // The probe saw the application (so an empty list cannot pass for "nothing loaded").
    expect(loaded.some((url) => url.includes('/node_modules/fastify/'))).toBe(true);
    expect(
      loaded.filter((url) => OPENTELEMETRY_MODULE.test(url) && !OPENTELEMETRY_API.test(url)),
    ).toEqual([]);
  });

  it('refuses an unsupported exporter setting at start-up in one line naming the variable', async () => {
    await expect(
      startGatewayProcess(
        gatewayEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
        10_000,
      ),
    ).rejects.toThrow(
      /exited with 1 before listening:\nInvalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL: only http\/protobuf \(default\) and http\/json are supported\n$/,
    );
  });
});
