import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { SecuritySchemes } from '../auth/auth.decorators.js';
import { PUBLIC_EXTENSION } from '../auth/public.decorator.js';
import { CommonCodes, productNotEnabledStatus, type Contract } from '../errors/api-error.js';
import { CAMARA_PHONE_NUMBER, CAMARA_PHONE_NUMBER_DESCRIPTION } from '../phone/phone-number.js';
import { contractOfPath, isAuditedPath } from '../http/contract.js';
import { httpStatusName } from '../http/error-envelope.js';
import { IDEMPOTENT_EXTENSION } from '../http/idempotency.js';
import { RATE_LIMIT_HEADERS } from '../http/rate-limit-headers.js';
import {
  ERRORS_EXTENSION,
  SchemaNames,
  type DocumentedCode,
  type DocumentedErrors,
} from './api-docs.decorators.js';
import { API_TAG_DESCRIPTIONS } from './api-tags.js';

/** Fastify decoration holding the served document's factory (built once, on first use). */
export const OPENAPI_DOCUMENT = 'openApiDocument';

const LICENSE_URL = 'https://www.apache.org/licenses/LICENSE-2.0.html';
const CLIENT_SCHEMES: string[] = [
  SecuritySchemes.apiKey,
  SecuritySchemes.sdkToken,
  SecuritySchemes.clientJwt,
];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** package.json, two folders above this module in `src/` and in `dist/` alike. */
function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

const DESCRIPTION = `Silent mobile number verification (the Authmatech contract), SIM-swap and device-swap checks
(the Identity Match and CAMARA contracts), and the tamper-evident audit trail behind them.

Each path belongs to one contract, which decides its error envelope:
\`/v1/**\` Authmatech \`{success, messages, data}\`; \`/mobile-identity/**\` Identity Match
\`{state, code, message}\`; \`/sim-swap/**\`, \`/device-swap/**\` and \`/admin/**\` CAMARA \`{status, code, message}\`.
Every response carries \`x-correlator\` (the caller's, when it matches the pattern, else a new UUID).
Client-authenticated responses carry \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\`; a 429 adds \`Retry-After\`.
Lists are paged with \`limit\` and \`cursor\` and answer \`{items, nextCursor}\`.`;

/** The served OpenAPI document: what the decorators state, completed by `finishDocument`. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Mobile Identity Gateway')
    .setDescription(DESCRIPTION)
    .setVersion(packageVersion())
    .setLicense('Apache-2.0', LICENSE_URL)
    .addServer(
      '/',
      'This gateway (paths are relative to the address this document was served from).',
    )
    .addSecurity(SecuritySchemes.apiKey, {
      type: 'apiKey',
      in: 'header',
      name: 'X-API-KEY',
      description:
        'A client API key (`mig_live_…` / `mig_test_…`); always together with X-CLIENT-ID.',
    })
    .addSecurity(SecuritySchemes.sdkToken, {
      type: 'apiKey',
      in: 'header',
      name: 'X-SDK-TOKEN',
      description:
        'A short-lived SDK token (`mig_sdk_…`) minted by the client backend; always together with X-CLIENT-ID.',
    })
    .addSecurity(SecuritySchemes.clientId, {
      type: 'apiKey',
      in: 'header',
      name: 'X-CLIENT-ID',
      description: 'The client id; required with an API key or an SDK token.',
    })
    .addSecurity(SecuritySchemes.clientJwt, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'A JWT the client signs itself: HS256 with its JWT secret, header `{"alg":"HS256","typ":"JWT","kid":"<JWT key id>"}`, payload `{iat, nbf, exp}` (Unix seconds, exp − iat ≤ 300).',
    })
    .addSecurity(SecuritySchemes.adminKey, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'mig_admin_…',
      description: 'An admin key (role `admin` or `auditor`, see `x-required-role`).',
    })
    .addSecurity(SecuritySchemes.operatorSinkToken, {
      type: 'http',
      scheme: 'bearer',
      description:
        'Operators only: the `sinkCredential` access token the gateway gave the operator for one of its upstream SIM swap subscriptions (README "Where events come from").',
    });
  for (const [name, description] of Object.entries(API_TAG_DESCRIPTIONS))
    builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    autoTagControllers: false,
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  return finishDocument(document);
}

const ref = (path: string): ReferenceObject => ({ $ref: path });
const schemaRef = (name: string): ReferenceObject => ref(`#/components/schemas/${name}`);

/**
 * CAMARA's request schemas name their phone number (`$ref: PhoneNumber`); the decorators can only
 * inline it, so properties that carry CAMARA's description become that reference.
 */
function referencePhoneNumbers(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    const properties = (schema as SchemaObject).properties;
    const phoneNumber = properties?.phoneNumber as SchemaObject | undefined;
    if (properties !== undefined && phoneNumber?.description === CAMARA_PHONE_NUMBER_DESCRIPTION)
      properties.phoneNumber = schemaRef(SchemaNames.phoneNumber);
  }
}

/** Schemas, headers and the parameter every operation shares. */
function addSharedComponents(document: OpenAPIObject): void {
  const components = (document.components ??= {});
  components.schemas = {
    ...components.schemas,
    // CAMARA Commonalities, verbatim.
    [SchemaNames.xCorrelator]: {
      type: 'string',
      pattern: '^[a-zA-Z0-9-_:;.\\/<>{}]{0,256}$',
      example: 'b4333c46-49c0-4f62-80d7-f0ef930f1c46',
    },
    [SchemaNames.phoneNumber]: {
      type: 'string',
      pattern: CAMARA_PHONE_NUMBER.source,
      example: '+346661113334',
      description: CAMARA_PHONE_NUMBER_DESCRIPTION,
    },
    [SchemaNames.camaraError]: {
      type: 'object',
      description: 'CAMARA error (also the admin API and unmatched paths).',
      required: ['status', 'code', 'message'],
      properties: {
        status: { type: 'integer', description: 'HTTP response status code' },
        code: { type: 'string', description: 'A human-readable code to describe the error' },
        message: {
          type: 'string',
          description: 'A human-readable description of what the event represents',
        },
      },
    },
    [SchemaNames.identityMatchError]: {
      type: 'object',
      description: 'Identity Match error.',
      required: ['state', 'code', 'message'],
      properties: {
        state: { type: 'string', enum: ['error'] },
        code: { type: 'string', description: 'Stable machine-readable code.' },
        message: { type: 'string', description: 'For integrators; never echoes submitted values.' },
      },
    },
    [SchemaNames.authmatechMessage]: {
      type: 'object',
      required: ['type', 'code', 'message', 'httpStatus', 'technical', 'arguments'],
      properties: {
        type: { type: 'string', enum: ['SUCCESS', 'WARNING', 'FAILURE', 'INFO'] },
        code: { type: 'string', nullable: true, description: 'Null on SUCCESS.' },
        message: { type: 'string', nullable: true },
        httpStatus: {
          type: 'string',
          description: 'The status name, e.g. `OK`, `BAD_REQUEST`.',
          example: 'OK',
        },
        technical: { type: 'boolean', description: 'True for server-side failures (5xx).' },
        arguments: {
          type: 'array',
          items: { type: 'string' },
          nullable: true,
          description: 'Always null in this gateway.',
        },
      },
    },
    [SchemaNames.authmatechEnvelope]: {
      type: 'object',
      description: 'The Authmatech answer envelope; each operation states the schema of `data`.',
      required: ['success', 'messages', 'data'],
      properties: {
        success: { type: 'boolean' },
        messages: { type: 'array', items: schemaRef(SchemaNames.authmatechMessage) },
        data: { description: 'The answer.' },
      },
    },
    [SchemaNames.authmatechErrorEnvelope]: {
      type: 'object',
      description: 'The Authmatech envelope of an error: one FAILURE message, no data.',
      required: ['success', 'messages', 'data'],
      properties: {
        success: { type: 'boolean', enum: [false] },
        messages: {
          type: 'array',
          minItems: 1,
          maxItems: 1,
          items: schemaRef(SchemaNames.authmatechMessage),
        },
        data: { type: 'object', nullable: true, enum: [null], description: 'Always null.' },
      },
    },
  };
  components.parameters = {
    ...components.parameters,
    'x-correlator': {
      name: 'x-correlator',
      in: 'header',
      required: false,
      description:
        'Correlation id for the different services; echoed on the response. Not matching the pattern: 400.',
      schema: schemaRef(SchemaNames.xCorrelator),
    },
  };
  components.headers = {
    ...components.headers,
    'x-correlator': {
      required: true,
      description: "Correlation id for the different services: the request's, or a new UUID.",
      schema: schemaRef(SchemaNames.xCorrelator),
    },
    'Idempotent-Replayed': {
      required: false,
      description:
        '`true` on an answer replayed for a repeated `Idempotency-Key` (nothing was done again). A stored refusal (the 400 INSUFFICIENT_BALANCE of a verify) is replayed with it too.',
      schema: { type: 'string', enum: ['true'] },
    },
    'Retry-After': {
      required: true,
      description: 'Seconds until the rate-limit window ends.',
      schema: { type: 'integer', minimum: 1 },
    },
    [RATE_LIMIT_HEADERS.limit]: {
      required: true,
      description: 'Requests the client may make in the current window (its limit).',
      schema: { type: 'integer', minimum: 0 },
    },
    [RATE_LIMIT_HEADERS.remaining]: {
      required: true,
      description:
        'Requests left in the current window (per instance estimate; the shared counter never lets the total exceed the limit).',
      schema: { type: 'integer', minimum: 0 },
    },
    [RATE_LIMIT_HEADERS.reset]: {
      required: true,
      description: 'Seconds until the current window ends.',
      schema: { type: 'integer', minimum: 0 },
    },
  };
}

function codeOf(code: DocumentedCode, contract: Contract): string {
  return typeof code === 'string' ? code : code[contract];
}

/** Errors the route's shape implies (credentials, body, product, role), in its contract's codes. */
function impliedErrors(
  operation: OperationObject,
  path: string,
  method: (typeof METHODS)[number],
  contract: Contract,
): DocumentedErrors {
  const errors: Record<number, DocumentedCode[]> = {};
  const add = (status: number, ...codes: DocumentedCode[]): void => {
    (errors[status] ??= []).push(...codes);
  };
  // Every route checks the x-correlator header first.
  add(400, CommonCodes.validation);
  // Fastify parses a JSON body on any of these methods, whether or not the route reads it.
  if (operation.requestBody || method === 'post' || method === 'put' || method === 'patch') {
    add(400, CommonCodes.malformedBody);
    add(413, CommonCodes.payloadTooLarge);
    add(415, CommonCodes.unsupportedMediaType);
  }
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  // No security at all (not even `@Public()`'s empty list): the global guard refuses every call.
  if (schemes.length > 0 || operation.security === undefined) add(401, CommonCodes.unauthenticated);
  // A request whose audit event cannot be written is answered 503, never silently.
  if (isAuditedPath(path)) add(503, CommonCodes.unavailable);
  if (schemes.some((scheme) => CLIENT_SCHEMES.includes(scheme)))
    add(429, CommonCodes.tooManyRequests);
  const extensions = operation as unknown as Record<string, unknown>;
  // An auditor key on an admin-role route; and on any admin route, a console session (403, not 401).
  if (extensions['x-required-role'] === 'admin' || schemes.includes(SecuritySchemes.adminKey))
    add(403, CommonCodes.forbidden);
  if (typeof extensions['x-required-product'] === 'string')
    add(productNotEnabledStatus(contract), CommonCodes.productNotEnabled);
  add(500, CommonCodes.internal);
  return errors;
}

function errorSchema(contract: Contract, status: number, codes: string[]): SchemaObject {
  const code: SchemaObject = { type: 'string', enum: codes };
  switch (contract) {
    case 'authmatech':
      return {
        allOf: [
          schemaRef(SchemaNames.authmatechErrorEnvelope),
          {
            type: 'object',
            properties: {
              messages: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    type: { type: 'string', enum: ['FAILURE'] },
                    code,
                    httpStatus: { type: 'string', enum: [httpStatusName(status)] },
                    technical: { type: 'boolean', enum: [status >= 500] },
                  },
                },
              },
            },
          },
        ],
      };
    case 'identity_match':
      return {
        allOf: [
          schemaRef(SchemaNames.identityMatchError),
          { type: 'object', properties: { code } },
        ],
      };
    case 'camara':
    case 'admin':
      return {
        allOf: [
          schemaRef(SchemaNames.camaraError),
          { type: 'object', properties: { status: { type: 'integer', enum: [status] }, code } },
        ],
      };
  }
}

function headerRefs(status: number, clientAuthenticated: boolean): Record<string, ReferenceObject> {
  const headers: Record<string, ReferenceObject> = {
    'x-correlator': ref('#/components/headers/x-correlator'),
  };
  // The guard sets the rate-limit headers once it has counted the request: on every answer after
  // authentication, and on a 429.
  if (
    clientAuthenticated &&
    status !== 401 &&
    status !== 400 &&
    status !== 413 &&
    status !== 415 &&
    status < 500
  ) {
    for (const name of Object.values(RATE_LIMIT_HEADERS))
      headers[name] = ref(`#/components/headers/${name}`);
  }
  if (status === 429) headers['Retry-After'] = ref('#/components/headers/Retry-After');
  return headers;
}

/**
 * Completes what decorators cannot state per route: the x-correlator parameter and header, the
 * error responses in the envelope of the route's contract (implied ones plus `@ApiErrors`), and
 * the rate-limit headers of client-authenticated routes.
 */
function finishDocument(document: OpenAPIObject): OpenAPIObject {
  renameSchemas(document);
  addSharedComponents(document);
  referencePhoneNumbers(document);
  const contractOfResponse = new Map<ResponseObject, { contract: Contract; status: number }>();
  for (const [path, item] of Object.entries(document.paths)) {
    const contract = contractOfPath(path);
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const extensions = operation as unknown as Record<string, unknown>;
      const declared = (extensions[ERRORS_EXTENSION] ?? {}) as DocumentedErrors;
      Reflect.deleteProperty(extensions, ERRORS_EXTENSION);
      // `@Public()` routes take no credential. A route with neither is closed by the global guard
      // and keeps no security entry, which the linter reports as the bug it is.
      if (extensions[PUBLIC_EXTENSION] === true) {
        operation.security = [];
        Reflect.deleteProperty(extensions, PUBLIC_EXTENSION);
      }
      operation.parameters = [
        ref('#/components/parameters/x-correlator'),
        ...(operation.parameters ?? []),
      ];

      const clientAuthenticated = (operation.security ?? []).some((requirement) =>
        Object.keys(requirement).some((scheme) => CLIENT_SCHEMES.includes(scheme)),
      );
      const errors = new Map<number, Set<string>>();
      for (const source of [impliedErrors(operation, path, method, contract), declared]) {
        for (const [status, codes] of Object.entries(source)) {
          const set = errors.get(Number(status)) ?? new Set<string>();
          for (const code of codes ?? []) set.add(codeOf(code, contract));
          errors.set(Number(status), set);
        }
      }
      for (const [status, codes] of [...errors].sort(([a], [b]) => a - b)) {
        if (operation.responses[status] !== undefined) continue;
        const response = {
          description: `${STATUS_CODES[status] ?? 'Error'}: ${[...codes].join(', ')}`,
          headers: headerRefs(status, clientAuthenticated),
          content: { 'application/json': { schema: errorSchema(contract, status, [...codes]) } },
        } satisfies ResponseObject;
        contractOfResponse.set(response, { contract, status });
        operation.responses[status] = response;
      }

      const idempotent = extensions[IDEMPOTENT_EXTENSION] === true;
      Reflect.deleteProperty(extensions, IDEMPOTENT_EXTENSION);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response === undefined || '$ref' in response) continue;
        response.headers = {
          ...response.headers,
          ...headerRefs(Number(status), clientAuthenticated),
          ...(idempotent &&
            Number(status) < 300 && {
              'Idempotent-Replayed': ref('#/components/headers/Idempotent-Replayed'),
            }),
        };
      }
    }
  }
  shareErrorResponses(document, contractOfResponse);
  return document;
}

/** Schema names without the class suffix: `ClientDto` → `Client` (references follow). */
function renameSchemas(document: OpenAPIObject): void {
  const components = document.components;
  const schemas = components?.schemas ?? {};
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const short = name.replace(/Dto$/, '');
    if (short !== name && !(short in schemas)) renames.set(name, short);
  }
  if (renames.size === 0 || components === undefined) return;
  const renamed: typeof schemas = {};
  for (const [name, schema] of Object.entries(schemas)) renamed[renames.get(name) ?? name] = schema;
  components.schemas = renamed;
  rewriteRefs(document, (target) => {
    const match = /^#\/components\/schemas\/(.+)$/.exec(target);
    const next = match ? renames.get(match[1]) : undefined;
    return next ? `#/components/schemas/${next}` : target;
  });
}

function rewriteRefs(node: unknown, rewrite: (target: string) => string): void {
  if (Array.isArray(node)) {
    for (const entry of node) rewriteRefs(entry, rewrite);
  } else if (node !== null && typeof node === 'object') {
    const object = node as Record<string, unknown>;
    if (typeof object.$ref === 'string') object.$ref = rewrite(object.$ref);
    for (const value of Object.values(object)) rewriteRefs(value, rewrite);
  }
}

const CONTRACT_PREFIX: Record<Contract, string> = {
  authmatech: 'Authmatech',
  identity_match: 'IdentityMatch',
  camara: 'Camara',
  admin: 'Admin',
};

/**
 * Identical error responses become one `components/responses` entry each, named after contract,
 * status and codes (`Camara400InvalidArgumentOutOfRange`): the document stays readable and small.
 */
function shareErrorResponses(
  document: OpenAPIObject,
  generated: Map<ResponseObject, { contract: Contract; status: number }>,
): void {
  const components = (document.components ??= {});
  const shared = (components.responses ??= {});
  const byContent = new Map<string, string>();
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const origin = response && !('$ref' in response) ? generated.get(response) : undefined;
        if (!origin) continue;
        const key = JSON.stringify(response);
        let name = byContent.get(key);
        if (name === undefined) {
          const codes = ((response as ResponseObject).description.split(': ')[1] ?? '').split(', ');
          const words = codes.map((code) =>
            code
              .toLowerCase()
              .replace(/(^|_)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase()),
          );
          const base = `${CONTRACT_PREFIX[origin.contract]}${origin.status}${words.join('')}`;
          name = base;
          for (let suffix = 2; name in shared; suffix += 1) name = `${base}_${suffix}`;
          shared[name] = response as ResponseObject;
          byContent.set(key, name);
        }
        operation.responses[status] = ref(`#/components/responses/${name}`);
      }
    }
  }
}
