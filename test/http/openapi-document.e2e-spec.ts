import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { load } from 'js-yaml';
import { OPENAPI_DOCUMENT } from '../../src/common/openapi/openapi-document.js';
import { OpenApiContract } from '../support/openapi-contract.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function at(document: Json, reference: string): Json {
  return reference
    .replace(/^#\//, '')
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, segment) => node[segment] as Json, document);
}

function deref(document: Json, node: Json | undefined): Json {
  let current = node ?? {};
  while (typeof current.$ref === 'string') current = at(document, current.$ref);
  return current;
}

/** A schema with its references followed and its `allOf` merged: what a validator would apply. */
function flatten(document: Json, node: Json | undefined): Json {
  const schema = deref(document, node);
  const { allOf, ...rest } = schema as Json & { allOf?: Json[] };
  const merged: Json = { ...rest };
  const properties: Record<string, Json> = {};
  const mergeProperties = (from: Json): void => {
    for (const [name, property] of Object.entries(
      (from.properties ?? {}) as Record<string, Json>,
    )) {
      properties[name] = { ...properties[name], ...flatten(document, property) };
    }
  };
  mergeProperties(rest);
  for (const part of allOf ?? []) {
    const flat = flatten(document, part);
    mergeProperties(flat);
    merged.required = [
      ...new Set([
        ...((merged.required as string[]) ?? []),
        ...((flat.required as string[]) ?? []),
      ]),
    ];
    for (const [key, value] of Object.entries(flat))
      if (!['properties', 'required'].includes(key) && !(key in merged)) merged[key] = value;
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  return merged;
}

const SCHEMA_FACTS = [
  'type',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'default',
  'nullable',
  'enum',
] as const;
function facts(schema: Json): Json {
  return Object.fromEntries(
    SCHEMA_FACTS.filter((key) => schema[key] !== undefined).map((key) => [key, schema[key]]),
  );
}

/**
 * Lists answered as a bare JSON array, each with its reason. Everything else pages with
 * `{items, nextCursor}`.
 */
const UNPAGED_ARRAY_LISTS: Record<string, string> = {
  '/sim-swap-subscriptions/v0.3/subscriptions':
    'CAMARA SIM Swap Subscriptions 0.3.0 defines the list as an array (at most 1,000, README §Push)',
  '/device-swap-subscriptions/v0.1/subscriptions':
    'CAMARA-shaped like the SIM swap list (our extension, README §Push)',
};

function propertiesOf(schema: Json): Record<string, Json> {
  return Object.fromEntries(
    Object.entries((schema.properties ?? {}) as Record<string, Json>).map(([name, property]) => [
      name,
      facts(property),
    ]),
  );
}

/** The codes a CAMARA error response allows: its enum, else the codes of its examples. */
function codesOf(document: Json, response: Json): string[] {
  const content = (deref(document, response).content as Json)['application/json'] as Json;
  const schema = flatten(document, content.schema as Json);
  const code = (schema.properties as Record<string, Json>).code;
  if (Array.isArray(code.enum)) return [...(code.enum as string[])].sort();
  return Object.values((content.examples ?? {}) as Record<string, { value: { code: string } }>)
    .map((example) => example.value.code)
    .sort();
}

const OFFICIAL = [
  { file: 'sim-swap-2.1.0.yaml', base: '/sim-swap/v2' },
  { file: 'device-swap-1.0.0.yaml', base: '/device-swap/v1' },
];

describe('OpenAPI document', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let document: Json;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    const served = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(served.statusCode).toBe(200);
    document = served.json<Json>();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const operations = (): { path: string; method: string; operation: Json }[] =>
    Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({
        path,
        method,
        operation: item[method] as Json,
      })),
    );

  it('is what `npm run cli -- openapi` prints, and as YAML the same', async () => {
    const printed = JSON.parse(
      execFileSync('node', ['dist/cli.js', 'openapi'], {
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'error' },
      }),
    ) as Json;
    expect(printed).toEqual(document);
    const yaml = await app.inject({ method: 'GET', url: '/docs/openapi.yaml' });
    expect(load(yaml.body)).toEqual(document);
  });

  it('states the version of package.json, the Apache-2.0 licence and a server', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
      version: string;
      license: string;
    };
    expect(document.info).toMatchObject({
      version: manifest.version,
      license: { name: 'Apache-2.0', url: expect.stringContaining('apache.org') },
    });
    expect(manifest.license).toBe('Apache-2.0');
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('declares every credential, and the API key and client id as one requirement', () => {
    const schemes = (document.components as Json).securitySchemes as Record<string, Json>;
    expect(schemes).toMatchObject({
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
      clientId: { type: 'apiKey', in: 'header', name: 'X-CLIENT-ID' },
      sdkToken: { type: 'apiKey', in: 'header', name: 'X-SDK-TOKEN' },
      clientJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      adminKey: { type: 'http', scheme: 'bearer' },
    });
    const open: string[] = [];
    for (const { path, method, operation } of operations()) {
      const security = operation.security as Record<string, string[]>[];
      if (security.length === 0) open.push(`${method} ${path}`);
      expect(Array.isArray(security)).toBe(true);
      for (const requirement of security) {
        for (const name of Object.keys(requirement)) expect(schemes).toHaveProperty(name);
        // An API key or SDK token alone would be an alternative; both headers are required.
        if ('apiKey' in requirement || 'sdkToken' in requirement)
          expect(Object.keys(requirement).sort()).toContain('clientId');
        expect(Object.keys(requirement)).not.toEqual(['clientId']);
      }
    }
    // Every other route names its credential; a new open route must be added here on purpose.
    // The first-admin bootstrap is open on purpose: its one-time secret is in the body.
    expect(open.sort()).toEqual([
      'get /health/live',
      'get /health/ready',
      'get /v1/he/{operatorId}/check',
      'post /admin/v1/bootstrap',
    ]);
  });

  it('takes x-correlator on every operation and returns it on every response', () => {
    for (const { operation } of operations()) {
      expect(operation.parameters).toContainEqual({ $ref: '#/components/parameters/x-correlator' });
      for (const response of Object.values(operation.responses as Record<string, Json>)) {
        expect(deref(document, response).headers).toHaveProperty('x-correlator');
      }
    }
  });

  it('gives every operation a summary, a tag of the declared list, success and error responses', () => {
    const tags = (document.tags as { name: string }[]).map((tag) => tag.name);
    const operationIds = new Set<string>();
    for (const { path, method, operation } of operations()) {
      expect([path, method, operation.summary]).toEqual([path, method, expect.any(String)]);
      expect(operation.tags).toHaveLength(1);
      expect(tags).toContain((operation.tags as string[])[0]);
      expect(operationIds.has(operation.operationId as string)).toBe(false);
      operationIds.add(operation.operationId as string);
      const statuses = Object.keys(operation.responses as Json).map(Number);
      expect(statuses.some((status) => status >= 200 && status < 300)).toBe(true);
      expect(statuses).toContain(400);
      expect(statuses).toContain(500);
    }
  });

  it('documents rate limits beside Retry-After on every 429', () => {
    for (const { operation } of operations()) {
      const tooMany = (operation.responses as Record<string, Json>)['429'];
      if (!tooMany) continue;
      expect(Object.keys(deref(document, tooMany).headers as Json).sort()).toEqual(
        [
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
          'Retry-After',
          'x-correlator',
        ].sort(),
      );
    }
  });

  it('pages every list with limit and cursor and answers {items, nextCursor}', () => {
    for (const { path, method, operation } of operations()) {
      const ok = deref(document, (operation.responses as Record<string, Json>)['200']);
      const schema = flatten(
        document,
        ((ok.content as Json | undefined)?.['application/json'] as Json | undefined)
          ?.schema as Json,
      );
      const data = path.startsWith('/v1/')
        ? flatten(document, (schema.properties as Record<string, Json> | undefined)?.data)
        : schema;
      const items = (data.properties as Record<string, Json> | undefined)?.items;
      if (method === 'get' && data.type === 'array') {
        // A list answered as a bare array is one a standard defines that way; nothing else may be.
        expect([path, UNPAGED_ARRAY_LISTS[path] ?? 'not an allowed bare-array list']).toEqual([
          path,
          expect.stringMatching(/^CAMARA/),
        ]);
        continue;
      }
      if (method !== 'get' || items?.type !== 'array') continue;
      expect([path, Object.keys(data.properties as Json).sort()]).toEqual([
        path,
        ['items', 'nextCursor'],
      ]);
      const parameters = (operation.parameters as Json[]).map(
        (parameter) => deref(document, parameter).name,
      );
      expect([path, parameters]).toEqual([path, expect.arrayContaining(['limit', 'cursor'])]);
    }
  });

  describe.each(OFFICIAL)('is schema-compatible with CAMARA $file', ({ file, base }) => {
    const official = load(readFileSync(`test/fixtures/camara/${file}`, 'utf8')) as Json;
    const paths = Object.entries(official.paths as Record<string, Json>).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({
        path,
        method,
        theirs: item[method] as Json,
      })),
    );

    it.each(paths)(
      '$method $path: same path, operation id and x-correlator',
      ({ path, method, theirs }) => {
        const ours = (document.paths as Record<string, Json>)[`${base}${path}`][method] as Json;
        expect(ours.operationId).toBe(theirs.operationId);
        const correlator = deref(document, { $ref: '#/components/parameters/x-correlator' });
        expect(correlator).toMatchObject({ name: 'x-correlator', in: 'header' });
        expect(deref(document, correlator.schema as Json).pattern).toBe(
          deref(official, { $ref: '#/components/schemas/XCorrelator' }).pattern,
        );
      },
    );

    it.each(paths)(
      '$method $path: the same request schema, and unknown fields allowed',
      ({ path, method, theirs }) => {
        const ours = (document.paths as Record<string, Json>)[`${base}${path}`][method] as Json;
        const schemaOf = (doc: Json, operation: Json): Json =>
          flatten(
            doc,
            (
              (deref(doc, operation.requestBody as Json).content as Json)[
                'application/json'
              ] as Json
            ).schema as Json,
          );
        const their = schemaOf(official, theirs);
        const our = schemaOf(document, ours);
        expect(deref(document, ours.requestBody as Json).required).toBe(true);
        expect(propertiesOf(our)).toEqual(propertiesOf(their));
        expect(our.required ?? []).toEqual(their.required ?? []);
        expect(our.additionalProperties).not.toBe(false);
        // The same named schemas where the definition names them (PhoneNumber), not only equal facts.
        const refsOf = (doc: Json, operation: Json): Record<string, unknown> => {
          const schema = deref(
            doc,
            (
              (deref(doc, operation.requestBody as Json).content as Json)[
                'application/json'
              ] as Json
            ).schema as Json,
          );
          return Object.fromEntries(
            Object.entries((schema.properties ?? {}) as Record<string, Json>).map(
              ([name, property]) => [name, property.$ref ?? null],
            ),
          );
        };
        expect(refsOf(document, ours)).toEqual(refsOf(official, theirs));
      },
    );

    it.each(paths)('$method $path: the same 200 schema', ({ path, method, theirs }) => {
      const ours = (document.paths as Record<string, Json>)[`${base}${path}`][method] as Json;
      const okOf = (doc: Json, operation: Json): Json =>
        flatten(
          doc,
          (
            (deref(doc, (operation.responses as Json)['200'] as Json).content as Json)[
              'application/json'
            ] as Json
          ).schema as Json,
        );
      const their = okOf(official, theirs);
      const our = okOf(document, ours);
      expect(propertiesOf(our)).toEqual(propertiesOf(their));
      expect([...((our.required as string[]) ?? [])].sort()).toEqual(
        [...((their.required as string[]) ?? [])].sort(),
      );
    });

    it.each(paths)(
      '$method $path: every status of the definition, with its codes and the error envelope',
      ({ path, method, theirs }) => {
        const ours = (document.paths as Record<string, Json>)[`${base}${path}`][method] as Json;
        for (const [status, response] of Object.entries(theirs.responses as Record<string, Json>)) {
          if (status === '200') continue;
          const our = (ours.responses as Record<string, Json>)[status];
          expect([status, our]).toEqual([status, expect.anything()]);
          expect([status, codesOf(document, our)]).toEqual([status, codesOf(official, response)]);
          const envelope = flatten(
            document,
            ((deref(document, our).content as Json)['application/json'] as Json).schema as Json,
          );
          expect([...(envelope.required as string[])].sort()).toEqual([
            'code',
            'message',
            'status',
          ]);
          expect(deref(document, our).headers).toHaveProperty('x-correlator');
        }
      },
    );
  });

  describe('the contract check of the HTTP tests', () => {
    const contract = (): OpenApiContract =>
      new OpenApiContract(
        (app.getHttpAdapter().getInstance() as unknown as Record<string, () => OpenAPIObject>)[
          OPENAPI_DOCUMENT
        ](),
      );
    const ok = {
      method: 'POST',
      route: '/sim-swap/v2/check',
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-correlator': 'c-1',
        'ratelimit-limit': '10',
        'ratelimit-remaining': '9',
        'ratelimit-reset': '30',
      },
      body: JSON.stringify({ swapped: true }),
    };

    it('accepts a response the document describes', () => {
      expect(contract().check(ok).problems).toEqual([]);
    });

    it.each([
      ['an undocumented status', { status: 418 }, /does not list/],
      [
        'a field the schema does not define',
        { body: JSON.stringify({ swapped: true, extra: 1 }) },
        /additional properties/,
      ],
      ['a wrong type', { body: JSON.stringify({ swapped: 'yes' }) }, /must be boolean/],
      [
        'a missing required header',
        { headers: { ...ok.headers, 'x-correlator': undefined } },
        /x-correlator is missing/,
      ],
      [
        'another media type',
        { headers: { ...ok.headers, 'content-type': 'text/plain' } },
        /content type text\/plain/,
      ],
      [
        'an error code of another status',
        { status: 404, body: JSON.stringify({ status: 404, code: 'OUT_OF_RANGE', message: 'x' }) },
        /must be equal to one of the allowed values/,
      ],
      ['an undocumented route', { route: '/sim-swap/v2/other' }, /not in the document/],
    ])('refuses %s', (_, change, problem) => {
      expect(
        contract()
          .check({ ...ok, ...change })
          .problems.join('\n'),
      ).toMatch(problem);
    });
  });

  it('can be switched off (API_DOCS_ENABLED=false); every response is still checked against it', async () => {
    const closed = await startTestApp(database, { API_DOCS_ENABLED: 'false' });
    try {
      for (const url of ['/docs', '/docs/openapi.json', '/docs/openapi.yaml']) {
        expect((await closed.inject({ method: 'GET', url })).statusCode).toBe(404);
      }
      expect((await closed.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
