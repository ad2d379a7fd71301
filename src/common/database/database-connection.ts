import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

class EmbeddedConnection extends DatabaseConnection {
  readonly kind = 'embedded';
  readonly adapter: PrismaPGlite;

  constructor(
    private readonly database: PGlite,
    private readonly lockFile: string | undefined,
  ) {
    super();
    this.adapter = new PrismaPGlite(database);
  }

  openSession(): Promise<SqlSession> {
    // PGlite is a single in-process connection; a "session" is that connection.
    return Promise.resolve({
      query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
        (await this.database.query<T>(sql, params)).rows,
      exec: async (sql: string) => {
        await this.database.exec(sql);
      },
      release: () => Promise.resolve(),
    });
  }

  async close(): Promise<void> {
    if (!this.database.closed) await this.database.close();
    if (this.lockFile) await rm(this.lockFile, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one in-process connection: a second process opening the same folder (a CLI command
 * while the gateway runs) would corrupt it. A pid file turns that into a clear refusal.
 */
async function lockDataDir(dataDir: string): Promise<string> {
  const lockFile = `${dataDir}.lock`;
  try {
    await writeFile(lockFile, String(process.pid), { flag: 'wx' });
  } catch (lockError) {
    if ((lockError as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError;
    const holder = Number((await readFile(lockFile, 'utf8')).trim());
    if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${holder}. Stop that process first (the embedded database serves one process), or set DATABASE_URL to use PostgreSQL.`,
        { cause: lockError },
      );
    }
    await writeFile(lockFile, String(process.pid)); // left behind by a process that died
  }
  return lockFile;
}

export async function openDatabaseConnection(environment: Environment): Promise<DatabaseConnection> {
  if (!environment.usesEmbeddedDatabase) return new PostgresConnection(environment);

  const dataDir = path.resolve(environment.EMBEDDED_DATA_DIR);
  const inMemory = environment.EMBEDDED_DATA_DIR === 'memory://';
  if (!inMemory) await mkdir(dataDir, { recursive: true }); // PGlite does not create parents.
  new Logger(DatabaseConnection.name).warn(
    inMemory
      ? 'Using an in-memory embedded PostgreSQL (PGlite): data is lost on exit. Not for production.'
      : `Using the embedded PostgreSQL (PGlite) in ${dataDir}: for development only, not for production. Set DATABASE_URL to use your PostgreSQL.`,
  );
  const lockFile = inMemory ? undefined : await lockDataDir(dataDir);
  const database = await PGlite.create(inMemory ? 'memory://' : dataDir);
  return new EmbeddedConnection(database, lockFile);
}
