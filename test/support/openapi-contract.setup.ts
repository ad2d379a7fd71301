// Loaded before every HTTP test file (jest setupFilesAfterEnv). Every gateway a test starts is a
// Fastify instance; this hooks each one as it is created (Fastify's `fastify.initialization`
// diagnostics channel) and checks every response the test receives against the OpenAPI document
// that very instance serves. A response the document does not describe fails the test file.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OPENAPI_DOCUMENT } from '../../src/common/openapi/openapi-document.js';
import { OpenApiContract } from './openapi-contract.js';

export const CONTRACT_REPORT_DIR =
  process.env.MIG_CONTRACT_REPORT_DIR ?? join(process.cwd(), 'coverage', 'openapi-contract');

const contracts = new WeakMap<object, OpenApiContract>();
const problems: string[] = [];
const seen = new Map<string, Set<number>>();

function contractFor(server: FastifyInstance): OpenApiContract | undefined {
  const documentOf = (server as unknown as Record<string, unknown>)[OPENAPI_DOCUMENT] as
    (() => OpenAPIObject) | undefined;
  if (!documentOf) return undefined;
  const document = documentOf();
  let contract = contracts.get(document);
  if (!contract) {
    contract = new OpenApiContract(document);
    contracts.set(document, contract);
  }
  return contract;
}

function record(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
  const contract = contractFor(request.server);
  if (!contract) return;
  const body =
    typeof payload === 'string'
      ? payload
      : Buffer.isBuffer(payload)
        ? payload.toString('utf8')
        : undefined;
  const verdict = contract.check({
    method: request.method,
    route: request.routeOptions.url,
    status: reply.statusCode,
    headers: reply.getHeaders(),
    body,
  });
  if (verdict.operation === null) return;
  problems.push(...verdict.problems);
  const statuses = seen.get(verdict.operation) ?? new Set<number>();
  statuses.add(reply.statusCode);
  seen.set(verdict.operation, statuses);
}

const onInitialization = (message: unknown): void => {
  const { fastify } = message as { fastify: FastifyInstance };
  fastify.addHook('onSend', async (request, reply, payload) => {
    record(request, reply, payload);
    return payload;
  });
};

subscribe('fastify.initialization', onInitialization);

afterAll(() => {
  unsubscribe('fastify.initialization', onInitialization);
  // What this file exercised, for the coverage summary of `npm run test:contract-report`.
  mkdirSync(CONTRACT_REPORT_DIR, { recursive: true });
  const file = expect.getState().testPath ?? 'unknown';
  writeFileSync(
    join(CONTRACT_REPORT_DIR, `${basename(file).replace(/[^A-Za-z0-9.-]/g, '_')}.json`),
    JSON.stringify({
      file,
      problems,
      responses: Object.fromEntries(
        [...seen].map(([operation, statuses]) => [operation, [...statuses].sort()]),
      ),
    }),
  );
  if (problems.length > 0) {
    throw new Error(
      `Responses the OpenAPI document does not describe (document the route: README "API documentation"):\n${[...new Set(problems)].join('\n')}`,
    );
  }
});
