import type { OpenAPIObject } from '@nestjs/swagger';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under ESM its callable is the module itself or `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

const DOCUMENT_ID = 'https://gateway.invalid/openapi.json';

type Json = Record<string, unknown>;

/** A response the gateway sent, as the HTTP tests saw it. */
export interface Observation {
  method: string;
  /** Fastify's route pattern (`/admin/v1/clients/:clientId`); undefined when no route matched. */
  route: string | undefined;
  status: number;
  headers: Record<string, unknown>;
  /** The body as sent; undefined for streams (exports). */
  body: string | undefined;
}

export interface Verdict {
  /** `POST /v1/api/verify`, or null when the request matched no documented operation. */
  operation: string | null;
  problems: string[];
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const pointer = (...segments: string[]): string =>
  segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Makes the document's schemas say exactly what a response may hold, for validation only:
 * OpenAPI 3.0 `nullable` becomes JSON Schema's `null` type, and an object schema that lists its
 * properties refuses any other (`additionalProperties: false`) unless it says otherwise, so an
 * undocumented field fails the test. Members of an `allOf` stay open: their sibling carries the
 * closed base (`$ref`), and closing both would refuse each other's properties.
 */
function tighten(node: unknown, open = false): unknown {
  if (Array.isArray(node)) return node.map((entry) => tighten(entry, open));
  if (!isObject(node) || typeof node.$ref === 'string') return node;
  const schema: Json = { ...node };
  if (isObject(schema.properties)) {
    schema.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [key, tighten(value, open)]),
    );
    if (schema.additionalProperties === undefined && !open) schema.additionalProperties = false;
  }
  if (isObject(schema.additionalProperties))
    schema.additionalProperties = tighten(schema.additionalProperties, open);
  if (schema.items !== undefined) schema.items = tighten(schema.items, open);
  for (const key of ['oneOf', 'anyOf'])
    if (Array.isArray(schema[key])) schema[key] = tighten(schema[key], open);
  if (Array.isArray(schema.allOf)) schema.allOf = tighten(schema.allOf, true);
  if (schema.nullable === true) {
    delete schema.nullable;
    const composed = ['allOf', 'oneOf', 'anyOf'].some((key) => key in schema);
    if (typeof schema.type === 'string' && !composed) {
      schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum) && !schema.enum.includes(null))
        schema.enum = [...schema.enum, null];
      return schema;
    }
    return { anyOf: [{ type: 'null' }, schema] };
  }
  return schema;
}

/** Every schema of the document (components and those inline under paths) tightened. */
function tightenDocument(document: OpenAPIObject): Json {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === 'schema' ? tighten(value) : walk(value),
      ]),
    );
  };
  const copy = walk(structuredClone(document)) as Json;
  const components = copy.components as Json | undefined;
  if (components && isObject(components.schemas)) {
    components.schemas = Object.fromEntries(
      Object.entries(components.schemas).map(([name, schema]) => [name, tighten(schema)]),
    );
  }
  return copy;
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : JSON.stringify(value);
}

/** Validates observed responses against the served OpenAPI document: status, headers, media type, body. */
export class OpenApiContract {
  private readonly document: Json;
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: OpenAPIObject) {
    this.document = tightenDocument(document);
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...this.document, $id: DOCUMENT_ID }, DOCUMENT_ID);
  }

  check(observation: Observation): Verdict {
    const method = observation.method.toLowerCase();
    // No route matched (404/405), or a CORS preflight (@fastify/cors's `OPTIONS *`): not operations.
    if (observation.route === undefined || (method === 'options' && observation.route === '*'))
      return { operation: null, problems: [] };
    const path = observation.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation = ((this.document.paths as Json)[path] as Json | undefined)?.[method] as
      Json | undefined;
    const name = `${observation.method.toUpperCase()} ${path}`;
    if (!operation) {
      // The documentation routes themselves are not part of the API they describe, nor is the
      // web console (its pages and the private API they call, /console/api, are one application),
      // nor is Prometheus's scrape endpoint.
      if (
        path.startsWith('/docs') ||
        path === '/console' ||
        path.startsWith('/console/') ||
        path === '/metrics'
      )
        return { operation: null, problems: [] };
      return { operation: name, problems: [`${name}: the route is not in the document`] };
    }
    const responses = operation.responses as Json;
    const key = String(observation.status);
    if (responses[key] === undefined) {
      return {
        operation: name,
        problems: [
          `${name} answered ${observation.status}, which the document does not list (${Object.keys(responses).join(', ')})`,
        ],
      };
    }
    const [response, responsePointer] = this.resolve(
      responses[key] as Json,
      pointer('', 'paths', path, method, 'responses', key),
    );
    const problems: string[] = [];
    const where = `${name} ${observation.status}`;

    for (const [header, spec] of Object.entries((response.headers ?? {}) as Json)) {
      const [definition, headerPointer] = this.resolve(
        spec as Json,
        `${responsePointer}/headers/${pointer(header)}`,
      );
      const value = headerValue(observation.headers, header);
      if (value === undefined) {
        if (definition.required === true) problems.push(`${where}: header ${header} is missing`);
        continue;
      }
      const schema = definition.schema as Json | undefined;
      const resolved =
        schema && typeof schema.$ref === 'string'
          ? this.resolve(schema, `${headerPointer}/schema`)[0]
          : schema;
      const typed =
        resolved?.type === 'integer' || resolved?.type === 'number'
          ? /^-?\d+(\.\d+)?$/.test(value)
            ? Number(value)
            : value
          : value;
      const validate = this.validator(`${headerPointer}/schema`);
      if (!validate(typed))
        problems.push(
          `${where}: header ${header}=${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`,
        );
    }

    const content = response.content as Json | undefined;
    const mediaType = headerValue(observation.headers, 'content-type')
      ?.split(';', 1)[0]
      .trim()
      .toLowerCase();
    if (!content) {
      if (observation.body)
        problems.push(`${where}: the document says no body, the gateway sent one`);
      return { operation: name, problems };
    }
    if (!mediaType || content[mediaType] === undefined) {
      problems.push(
        `${where}: content type ${mediaType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`,
      );
      return { operation: name, problems };
    }
    if (mediaType !== 'application/json' || observation.body === undefined)
      return { operation: name, problems };
    let body: unknown;
    try {
      body = JSON.parse(observation.body);
    } catch {
      problems.push(`${where}: the body is not JSON`);
      return { operation: name, problems };
    }
    const validate = this.validator(`${responsePointer}/content/${pointer(mediaType)}/schema`);
    if (!validate(body)) {
      problems.push(
        `${where}: ${this.ajv.errorsText(validate.errors, { separator: '; ' })} in ${observation.body.slice(0, 600)}`,
      );
    }
    return { operation: name, problems };
  }

  /** Follows a `$ref` within the document; answers the object and the pointer where it lives. */
  private resolve(node: Json, at: string): [Json, string] {
    if (typeof node.$ref !== 'string') return [node, at];
    const target = node.$ref.replace(/^#/, '');
    const found = target
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>(
        (value, segment) => (isObject(value) ? value[segment] : undefined),
        this.document,
      );
    if (!isObject(found)) throw new Error(`unresolved reference ${node.$ref}`);
    return this.resolve(found, target);
  }

  private validator(at: string): ValidateFunction {
    let validate = this.validators.get(at);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#${at}` });
      this.validators.set(at, validate);
    }
    return validate;
  }
}
