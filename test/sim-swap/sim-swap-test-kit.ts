import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import jwt from 'jsonwebtoken';
import type { ClientProduct } from '../../src/common/auth/caller.js';
import { AppModule } from '../../src/app.module.js';
import { configureApp, createFastifyAdapter } from '../../src/app.factory.js';
import { Clock } from '../../src/common/clock/clock.js';
import { validateEnvironment } from '../../src/common/config/environment.js';
import { DatabaseConnection } from '../../src/common/database/database-connection.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import type { EnvironmentOverrides, TestDatabase } from '../support/test-database.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';

/** A clock the test moves by hand; the gateway reads it through the injected `Clock`. */
export class PinnedClock extends Clock {
  constructor(private current: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.current.getTime());
  }

  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
}

/** The real application (same module graph, pipes, filters, guard) with an optional pinned clock. */
export async function startSimSwapApp(
  database: TestDatabase,
  options: { environment?: EnvironmentOverrides; clock?: Clock } = {},
): Promise<NestFastifyApplication> {
  const overrides = { ...database.overrides, ...options.environment };
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(overrides)] });
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const app = configureApp(
    moduleRef.createNestApplication<NestFastifyApplication>(
      createFastifyAdapter(validateEnvironment({ ...process.env, ...overrides })),
      { bodyParser: false },
    ),
  );
  // Without DATABASE_URL the test's own queries go through this app's in-memory PGlite.
  database.attach?.(app.get(DatabaseConnection));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
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

/**
 * A token exactly as the Identity Match documentation builds it, with `jsonwebtoken` (the gateway
 * verifies with `jose`): header {alg: HS256, typ: JWT, kid}, payload {iat, nbf = iat, exp = iat + 60}.
 */
export function signJwt(
  client: Pick<SwapClient, 'jwtKeyId' | 'jwtSecret'>,
  now: Date = new Date(),
  secret = client.jwtSecret,
): string {
  const iat = Math.floor(now.getTime() / 1000);
  return jwt.sign({ iat, nbf: iat, exp: iat + 60 }, secret, {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId },
  });
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
