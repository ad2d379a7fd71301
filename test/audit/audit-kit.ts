import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import {
  extendChain,
  GENESIS_HASH,
  type AuditRecord,
} from '../../src/modules/audit/audit-chain.js';
import type { TestDatabase } from '../support/test-database.js';

export interface AuditRow {
  id: string;
  occurred_at: Date;
  correlation_id: string | null;
  client_id: string | null;
  credential_kind: string | null;
  credential_fingerprint: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  contract: string;
  service_type: string | null;
  operator_id: string | null;
  phone_hash: string | null;
  phone_masked: string | null;
  outcome: string;
  verdict: Record<string, unknown> | null;
  http_status: number | null;
  error_code: string | null;
  latency_ms: number | null;
  source_ip: string | null;
  user_agent: string | null;
  upstream: unknown;
  detail: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

export async function withOwner<T>(
  database: TestDatabase,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await database.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function eventsByCorrelation(
  database: TestDatabase,
  correlationIds: string[],
): Promise<AuditRow[]> {
  return withOwner(
    database,
    async (client) =>
      (
        await client.query<AuditRow>(
          'SELECT *, id::text AS id FROM audit_event e WHERE correlation_id = ANY($1) ORDER BY e.id',
          [correlationIds],
        )
      ).rows,
  );
}

export function newCorrelator(label = 'audit'): string {
  return `${label}-${randomUUID()}`;
}

/** A request through `inject` with its own x-correlator. */
export async function call(
  app: NestFastifyApplication,
  options: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    url: string;
    headers?: Record<string, string>;
    payload?: string;
  },
): Promise<{
  status: number;
  body: string;
  correlator: string;
  json: () => Record<string, unknown>;
}> {
  const correlator = newCorrelator();
  const response = await app.inject({
    method: options.method ?? 'GET',
    url: options.url,
    headers: { 'x-correlator': correlator, 'user-agent': 'audit-test/1.0', ...options.headers },
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
  return {
    status: response.statusCode,
    body: response.body,
    correlator,
    json: () => response.json<Record<string, unknown>>(),
  };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/**
 * Writes a valid chain of `count` events straight into the table as the owner (the way old
 * history would look), continuing from the current head, and moves the head.
 */
export async function seedChain(
  client: pg.Client,
  count: number,
  occurredAt: (index: number) => string,
  content: (index: number) => Partial<AuditRecord> = () => ({}),
): Promise<void> {
  const head = (
    await client.query<{ position: string; hash: string }>(
      'SELECT position::text AS position, hash FROM audit_chain_head WHERE id = 1',
    )
  ).rows[0];
  let state = { position: BigInt(head.position), hash: head.hash ?? GENESIS_HASH };
  const batchSize = 5_000;
  for (let start = 0; start < count; start += batchSize) {
    const records: AuditRecord[] = [];
    for (let index = start; index < Math.min(count, start + batchSize); index += 1) {
      const extended = extendChain(state, occurredAt(index), [
        {
          correlationId: `seed-${index}`,
          clientId: 'cli_seed',
          credentialKind: 'api_key',
          credentialFingerprint: 'fp_seed',
          actorType: 'client',
          actorId: 'cli_seed',
          action: 'verify',
          contract: 'authmatech',
          serviceType: 'VERIFY',
          operatorId: 'ZAIN_JO',
          phoneHash: null,
          phoneMasked: null,
          outcome: 'success',
          verdict: { validNumber: index % 2 === 0 },
          httpStatus: 200,
          errorCode: null,
          latencyMs: index % 50,
          sourceIp: '127.0.0.1',
          userAgent: 'seed',
          upstream: null,
          detail: null,
          ...content(index),
        },
      ]);
      records.push(...extended.records);
      state = extended.head;
    }
    await client.query(
      `INSERT INTO audit_event (id, occurred_at, correlation_id, client_id, credential_kind, credential_fingerprint, actor_type, actor_id,
         action, contract, service_type, operator_id, phone_hash, phone_masked, outcome, verdict, http_status, error_code, latency_ms,
         source_ip, user_agent, upstream, detail, prev_hash, hash)
       SELECT "id", "occurredAt", "correlationId", "clientId", "credentialKind", "credentialFingerprint", "actorType", "actorId",
         "action", "contract", "serviceType", "operatorId", "phoneHash", "phoneMasked", "outcome", "verdict", "httpStatus", "errorCode",
         "latencyMs", "sourceIp", "userAgent", "upstream", "detail", "prevHash", "hash"
         FROM jsonb_to_recordset($1::jsonb) AS r("id" bigint, "occurredAt" timestamptz, "correlationId" text, "clientId" text,
           "credentialKind" text, "credentialFingerprint" text, "actorType" text, "actorId" text, "action" text, "contract" text,
           "serviceType" text, "operatorId" text, "phoneHash" text, "phoneMasked" text, "outcome" text, "verdict" jsonb,
           "httpStatus" integer, "errorCode" text, "latencyMs" integer, "sourceIp" text, "userAgent" text, "upstream" jsonb,
           "detail" jsonb, "prevHash" text, "hash" text)`,
      [JSON.stringify(records)],
    );
  }
  await client.query('UPDATE audit_chain_head SET position = $1::bigint, hash = $2 WHERE id = 1', [
    state.position.toString(),
    state.hash,
  ]);
}
