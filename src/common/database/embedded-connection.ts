import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Logger } from '@nestjs/common';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Environment } from '../config/environment.js';
import { DatabaseConnection, type SqlSession } from './database-connection.js';

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

  override embedded(): PGlite {
    return this.database;
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

/** The embedded PGlite database of EMBEDDED_DATA_DIR (development and the quickstart only). */
export async function openEmbeddedConnection(
  environment: Environment,
): Promise<DatabaseConnection> {
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
