import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClientProduct } from '../../src/common/auth/caller.js';
import type { Clock } from '../../src/common/clock/clock.js';
import type { Clock as QueueClock } from 'pg-boss';
import { DELIVERY_QUEUE_CLOCK } from '../../src/modules/push/delivery.queue.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { signIdentityMatchJwt } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import type { EnvironmentOverrides, TestDatabase } from '../support/test-database.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';

/** The sim-swap tests' name for the one manual clock (test/support/manual-clock.ts). */
export { ManualClock as PinnedClock } from '../support/manual-clock.js';

/** The sim-swap tests' name for the one test app factory (test/support/test-app.ts). */
export function startSimSwapApp(
  database: TestDatabase,
  options: { environment?: EnvironmentOverrides; clock?: Clock; queueClock?: QueueClock } = {},
): Promise<NestFastifyApplication> {
  // pg-boss's clock (the database's job_now(), which decides when a delivery job is due).
  const providers = options.queueClock
    ? [{ token: DELIVERY_QUEUE_CLOCK, value: options.queueClock }]
    : undefined;
  return startTestApp(database, options.environment, { clock: options.clock, providers });
}

export interface SwapClient {
  clientId: string;
  jwtKeyId: string;
  jwtSecret: string;
}

export async function createSwapClient(
  app: NestFastifyApplication,
  products: ClientProduct[] = ['SIM_SWAP', 'DEVICE_SWAP'],
  name = `sim-swap test ${randomUUID()}`,
): Promise<SwapClient> {
  const created = await app
    .get(ClientManagementService)
    .createClient({ name, environment: 'SANDBOX', products });
  return { clientId: created.clientId, jwtKeyId: created.jwtKeyId, jwtSecret: created.jwtSecret };
}

/** The one test JWT signer (test/support/credentials-factory.ts), signed at `now` (valid 60 s), optionally with another secret. */
export function signJwt(
  client: Pick<SwapClient, 'jwtKeyId' | 'jwtSecret'>,
  now: Date = new Date(),
  secret = client.jwtSecret,
): string {
  return signIdentityMatchJwt(client, { iat: Math.floor(now.getTime() / 1000), secret });
}

/** POSTs JSON with a fresh token and an x-correlator the audit rows can be found by. */
export async function postAs(
  app: NestFastifyApplication,
  client: SwapClient | undefined,
  url: string,
  body: unknown,
  options: { now?: Date; correlator?: string; token?: string } = {},
): Promise<{
  status: number;
  body: Record<string, unknown>;
  correlator: string;
  headers: Record<string, unknown>;
}> {
  const correlator = options.correlator ?? `sim-swap-${randomUUID()}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-correlator': correlator,
  };
  const token = options.token ?? (client ? signJwt(client, options.now) : undefined);
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await app.inject({
    method: 'POST',
    url,
    headers,
    payload: JSON.stringify(body),
  });
  return {
    status: response.statusCode,
    body: response.json<Record<string, unknown>>(),
    correlator,
    headers: response.headers,
  };
}

export interface AuditRow {
  client_id: string | null;
  action: string;
  contract: string;
  service_type: string | null;
  operator_id: string | null;
  phone_masked: string | null;
  phone_hash: string | null;
  outcome: string;
  verdict: Record<string, unknown> | null;
  http_status: number | null;
  error_code: string | null;
  upstream: unknown;
}

/**
 * The audit event of one request, found by its x-correlator. Read through the app's own database
 * connection, so it works on PostgreSQL and on embedded PGlite alike.
 */
export async function auditEventOf(
  app: NestFastifyApplication,
  correlator: string,
): Promise<AuditRow[]> {
  return app.get(PrismaService).client.$queryRawUnsafe<AuditRow[]>(
    `SELECT client_id, action, contract, service_type, operator_id, phone_masked, phone_hash, outcome, verdict, http_status, error_code, upstream
       FROM audit_event WHERE correlation_id = $1`,
    correlator,
  );
}
