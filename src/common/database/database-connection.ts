import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { PrismaPGlite } from 'pglite-prisma-adapter';
import { EnvironmentError, type Environment } from '../config/environment.js';

/** A single dedicated connection: session-level state such as advisory locks stays on it. */
export interface SqlSession {
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of one or more statements with the simple query protocol. */
  exec(sql: string): Promise<void>;
  release(): Promise<void>;
}

export type PrismaAdapter = PrismaPg | PrismaPGlite;

/**
 * The physical database behind Prisma: a pg pool on PostgreSQL, or an in-process PGlite. Owns the
 * underlying handles so shutdown can close them after Prisma disconnects.
 */
export abstract class DatabaseConnection {
  abstract readonly kind: 'postgres' | 'embedded';
  abstract readonly adapter: PrismaAdapter;
  abstract openSession(): Promise<SqlSession>;
  abstract close(): Promise<void>;
  /** The pool's connections (PostgreSQL); undefined for the embedded database's single one. */
  poolStats(): PoolStats | undefined {
    return undefined;
  }
  /** The embedded database itself, for a library that talks to it directly (pg-boss); undefined on PostgreSQL. */
  embedded(): PGlite | undefined {
    return undefined;
  }
}

export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

class PostgresConnection extends DatabaseConnection {
  readonly kind = 'postgres';
  readonly adapter: PrismaPg;
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(private readonly environment: Environment) {
    super();
    // Timeouts make a dead or overloaded database fail a request quickly instead of hanging it.
    this.pool = new pg.Pool({
      connectionString: environment.DATABASE_URL,
      max: environment.DATABASE_POOL_MAX,
      connectionTimeoutMillis: environment.DATABASE_CONNECT_TIMEOUT_MS,
      statement_timeout: environment.DATABASE_STATEMENT_TIMEOUT_MS,
      lock_timeout: environment.DATABASE_LOCK_TIMEOUT_MS,
      idle_in_transaction_session_timeout: environment.DATABASE_STATEMENT_TIMEOUT_MS * 2,
      application_name: 'mobile-identity-gateway',
    });
    // An idle client that loses its server emits here; without a listener Node would crash.
    this.pool.on('error', (error) => {
      new Logger(DatabaseConnection.name).warn(`idle database connection failed: ${error.message}`);
    });
    this.adapter = new PrismaPg(this.pool);
  }

  async openSession(): Promise<SqlSession> {
    // Its own client without the pool's statement timeout: migrations may legitimately run long.
    const client = new pg.Client({
      connectionString: this.environment.DATABASE_URL,
      connectionTimeoutMillis: this.environment.DATABASE_CONNECT_TIMEOUT_MS,
      application_name: 'mobile-identity-gateway',
    });
    try {
      await client.connect();
    } catch (error) {
      throw connectionFailure(error, this.environment) ?? error;
    }
    return {
      query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
        (await client.query<T>(sql, params)).rows,
      exec: async (sql: string) => {
        await client.query(sql);
      },
      release: () => client.end(),
    };
  }

  override poolStats(): PoolStats {
    return {
      max: this.environment.DATABASE_POOL_MAX,
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// SQLSTATEs a wrong DATABASE_URL gives: bad password or role, no such database.
const REFUSED_SQLSTATES: Record<string, string> = {
  '28P01': 'password authentication failed',
  '28000': 'role not allowed',
  '3D000': 'database does not exist',
};

/**
 * A failed first connection as a one-line configuration error naming DATABASE_URL and where it
 * points (host, port, database: never the password); undefined for other errors.
 */
function connectionFailure(error: unknown, environment: Environment): EnvironmentError | undefined {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const reason =
    typeof code === 'string' && UNREACHABLE_CODES.has(code)
      ? `cannot reach the server (${code})`
      : typeof code === 'string' && code in REFUSED_SQLSTATES
        ? `the server refused the connection (${REFUSED_SQLSTATES[code]})`
        : /timeout|terminated unexpectedly/i.test(message)
          ? `no answer within DATABASE_CONNECT_TIMEOUT_MS=${environment.DATABASE_CONNECT_TIMEOUT_MS}`
          : undefined;
  if (!reason) return undefined;
  let target = 'the configured server';
  try {
    const url = new URL(environment.DATABASE_URL ?? '');
    target = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    // keep the generic wording: the URL itself may hold a secret
  }
  return new EnvironmentError([
    `DATABASE_URL: ${reason} at ${target}; start PostgreSQL or fix DATABASE_URL (postgresql://user:password@host:5432/database)`,
  ]);
}

export async function openDatabaseConnection(
  environment: Environment,
): Promise<DatabaseConnection> {
  if (!environment.usesEmbeddedDatabase) return new PostgresConnection(environment);
  // PGlite (a WebAssembly PostgreSQL, tens of MB in memory) is loaded only when it is used.
  const { openEmbeddedConnection } = await import('./embedded-connection.js');
  return openEmbeddedConnection(environment);
}
