import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';

type Document = OpenAPIObject;
type OperationObject = NonNullable<Document['paths'][string]['post']>;
type ParameterObject = { name: string; in: string };
type SchemaObject = { properties?: Record<string, unknown> };
type ReferenceObject = { $ref: string };
import { OPENAPI_DOCUMENT } from '../../src/common/openapi/openapi-document.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { withOwner } from '../audit/audit-kit.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
  jwtHeaders,
} from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

/**
 * Property-based fuzzing of every public and admin body and query, from the served OpenAPI
 * document: known field names with values of any shape, unknown (hostile) field names, NUL
 * characters, deep nesting. Bounded (FUZZ_RUNS per operation) and seeded (FUZZ_SEED), so a
 * failure reproduces: the report prints the seed and the shrunk input.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

/** Text that must never come back in an error: markup, SQL, formulas, template syntax. */
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  "'; DROP TABLE audit_event;--",
  "=cmd|' /C calc'!A0",
  '{{7*7}}${7*7}',
  '../../../etc/passwd',
  '__proto__',
  'constructor',
  'a\u0000b',
  '\uD800lone',
  'zalgo\u0301\u0302\u0303',
];
const ECHO_MARKERS = [
  '<img',
  'onerror',
  'DROP TABLE',
  'calc',
  '{{7*7}}',
  'etc/passwd',
  'lone',
  'zalgo',
];

/** Operations whose success would cut the fuzzer's own credentials. */
const SKIPPED = new Set(['POST /v1/api/clients/rotate-key', 'POST /v1/api/me/api-key/rotate']);

interface Operation {
  method: string;
  path: string;
  auth: 'api_key' | 'jwt' | 'admin';
  query: string[];
  bodyFields: string[] | undefined;
}

function resolve(
  document: OpenAPIObject,
  schema: SchemaObject | ReferenceObject | undefined,
): SchemaObject | undefined {
  if (!schema) return undefined;
  if ('$ref' in schema)
    return document.components?.schemas?.[schema.$ref.split('/').pop()!] as
      SchemaObject | undefined;
  return schema;
}

function operationsOf(document: OpenAPIObject): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (!/^\/(v1\/api|mobile-identity|sim-swap|device-swap|number-verification|admin)\//.test(path))
      continue;
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = (item as Record<string, OperationObject | undefined>)[method];
      if (!operation || SKIPPED.has(`${method.toUpperCase()} ${path}`)) continue;
      const parameters = (operation.parameters ?? []) as ParameterObject[];
      const body =
        operation.requestBody && 'content' in operation.requestBody
          ? operation.requestBody.content['application/json']?.schema
          : undefined;
      operations.push({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, (_, name: string) =>
          name === 'transactionId' ? randomUUID() : `fuzz-${name}`,
        ),
        auth: path.startsWith('/admin/') ? 'admin' : path.startsWith('/v1/') ? 'api_key' : 'jwt',
        query: parameters
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => parameter.name),
        bodyFields: body ? Object.keys(resolve(document, body)?.properties ?? {}) : undefined,
      });
    }
  }
  return operations;
}

const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(...HOSTILE),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '',
    ' ',
    '+962791234567',
    '2026-11-23T12:00:00Z',
    'SANDBOX',
    'VERIFY',
    'x'.repeat(5_000),
  ),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...HOSTILE)),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
}));
const deep = fc
  .integer({ min: 30, max: 3_000 })
  .map((levels) => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as unknown);

function bodyOf(fields: string[]): fc.Arbitrary<unknown> {
  const known =
    fields.length > 0
      ? fc.dictionary(fc.constantFrom(...fields), fc.oneof(value, deep), { maxKeys: fields.length })
      : fc.constant({});
  const hostileKey = fc
    .tuple(known, fc.constantFrom(...HOSTILE), value)
    .map(([object, key, entry]) => ({ ...object, [key]: entry }));
  return fc.oneof(known, known, hostileKey, value, deep);
}

function queryOf(names: string[]): fc.Arbitrary<Record<string, string>> {
  const text = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(...HOSTILE),
    fc.constantFrom('1', '-1', '0', 'true', '2026-11-23T12:00:00Z', 'csv', 'day', '50'),
  );
  const known =
    names.length > 0
      ? fc.dictionary(fc.constantFrom(...names), text, { maxKeys: names.length })
      : fc.constant({});
  return fc.oneof(
    known,
    known,
    fc
      .tuple(known, fc.constantFrom(...HOSTILE), text)
      .map(([object, key, entry]) => ({ ...object, [key]: entry })),
  );
}

describeOnPostgres('fuzzing every public and admin body and query', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let client: CreatedClient;
  let adminKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' });
    client = await createTestClient(app, { rateLimitPerMinute: 1_000_000 });
    adminKey = (await createTestAdminKey(app)).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const credentials = (auth: Operation['auth']): Record<string, string> =>
    auth === 'admin'
      ? { authorization: `Bearer ${adminKey}` }
      : auth === 'api_key'
        ? apiKeyHeaders(client)
        : jwtHeaders(client, { jti: randomUUID() });

  it(`answers ${RUNS} hostile inputs per operation without a 5xx, an echo, or a missing audit event (seed ${SEED})`, async () => {
    const document = (
      app.getHttpAdapter().getInstance() as unknown as Record<string, () => OpenAPIObject>
    )[OPENAPI_DOCUMENT]();
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(30);
    const correlators: string[] = [];
    for (const operation of operations) {
      const input = fc.record({
        query: queryOf(operation.query),
        body: operation.bodyFields ? bodyOf(operation.bodyFields) : fc.constant(undefined),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ query, body }) => {
          const correlator = `fuzz-${randomUUID()}`;
          correlators.push(correlator);
          const response = await app.inject({
            method: operation.method as 'GET',
            url: operation.path,
            query,
            headers: {
              'x-correlator': correlator,
              ...credentials(operation.auth),
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
          });
          const where = `${operation.method} ${operation.path} answered ${response.statusCode}: ${response.body.slice(0, 300)}`;
          expect({ where, serverError: response.statusCode >= 500 }).toEqual({
            where,
            serverError: false,
          });
          if (response.statusCode >= 400) {
            const echoed = ECHO_MARKERS.filter((marker) => response.body.includes(marker));
            expect({ where, echoed }).toEqual({ where, echoed: [] });
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    const counts = await withOwner(
      database,
      async (owner) =>
        (
          await owner.query<{ correlation_id: string; n: number }>(
            'SELECT correlation_id, count(*)::int AS n FROM audit_event WHERE correlation_id = ANY($1) GROUP BY correlation_id',
            [correlators],
          )
        ).rows,
    );
    const perCorrelator = new Map(counts.map((row) => [row.correlation_id, row.n]));
    expect(correlators.filter((correlator) => perCorrelator.get(correlator) !== 1)).toEqual([]);
  }, 120_000);
});
