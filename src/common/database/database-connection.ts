import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Environment } from '../config/environment.js';

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
    this.pool.on('error', (error) =>
      new Logger(DatabaseConnection.name).warn(`idle database connection failed: ${error.message}`),
    );
    this.adapter = new PrismaPg(this.pool);
  }

  async openSession(): Promise<SqlSession> {
    // Its own client without the pool's statement timeout: migrations may legitimately run long.
    const client = new pg.Client({
      connectionString: this.environment.DATABASE_URL,
      connectionTimeoutMillis: this.environment.DATABASE_CONNECT_TIMEOUT_MS,
      application_name: 'mobile-identity-gateway',
    });
    await client.connect();
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
    return { max: this.environment.DATABASE_POOL_MAX, total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

export async function openDatabaseConnection(environment: Environment): Promise<DatabaseConnection> {
  if (!environment.usesEmbeddedDatabase) return new PostgresConnection(environment);
  // PGlite (a WebAssembly PostgreSQL, tens of MB in memory) is loaded only when it is used.
  const { openEmbeddedConnection } = await import('./embedded-connection.js');
  return openEmbeddedConnection(environment);
}
