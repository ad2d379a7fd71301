import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlSession } from './database-connection.js';
import { DatabaseLock } from './database-locks.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

export interface MigrationFile {
  name: string;
  script: string;
}

class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

interface MigrationRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Prisma's checksum: lower-case hex SHA-256 of the migration file's text. */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

function checksumMatches(script: string, recorded: string): boolean {
  // Prisma accepts a file whose only change is its line endings (a Windows checkout).
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\r?\n/g, '\r\n')];
  return variants.some((variant) => migrationChecksum(variant) === recorded);
}

export async function readMigrations(directory = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      script: await readFile(path.join(directory, name, 'migration.sql'), 'utf8'),
    })),
  );
}

// Exactly the table Prisma's engine creates, so `prisma migrate deploy` later sees our history.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/**
 * One migration, its bookkeeping row included, in one transaction: a process killed half-way
 * leaves nothing behind and the migration simply runs again at the next start. (Prisma records
 * the row first, so an interrupted migration blocks it with P3009; ours only records real failures.)
 */
async function applyOne(session: SqlSession, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  const checksum = migrationChecksum(migration.script);
  await session.exec('BEGIN');
  try {
    await session.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, checksum, migration.name],
    );
    await session.exec(migration.script);
    await session.query(
      'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await session.exec('COMMIT');
  } catch (error) {
    await session.exec('ROLLBACK');
    const message = error instanceof Error ? error.message : String(error);
    // Recorded as Prisma records a failure, so neither runner goes on until someone resolves it.
    await session.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count, logs) VALUES ($1, $2, $3, now(), 0, $4)',
      [id, checksum, migration.name, message],
    );
    throw new MigrationError(`Migration ${migration.name} failed: ${message}`);
  }
}

/**
 * Applies pending migrations the way `prisma migrate deploy` does, for machines without Prisma's
 * schema engine: in name order, under Prisma's advisory lock (so instances starting together apply
 * each migration once), recorded in `_prisma_migrations`. Refuses to continue after a failed
 * migration (Prisma's P3009) or when an applied migration's file changed.
 */
export async function applyMigrations(
  session: SqlSession,
  migrations: MigrationFile[],
): Promise<{ applied: string[]; alreadyApplied: number }> {
  await session.query('SELECT pg_advisory_lock($1)', [DatabaseLock.Migrate]);
  try {
    // Only when missing: the application role (no CREATE right) must get through when all is applied.
    const [{ present }] = await session.query<{ present: boolean }>(
      `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
    );
    if (!present) await session.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await session.query<MigrationRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `Migration ${failed.migration_name} failed earlier and must be resolved before others run (Prisma P3009). ` +
          'Fix the database, then mark it rolled back or applied (`prisma migrate resolve`, or set rolled_back_at in _prisma_migrations).',
      );
    }
    const applied = new Map(
      rows.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row]),
    );
    for (const migration of migrations) {
      const row = applied.get(migration.name);
      if (row && !checksumMatches(migration.script, row.checksum)) {
        throw new MigrationError(
          `Migration ${migration.name} was modified after it was applied (checksum differs). Restore the original file and add a new migration instead.`,
        );
      }
    }

    const pending = migrations.filter((migration) => !applied.has(migration.name));
    for (const migration of pending) await applyOne(session, migration);
    return { applied: pending.map((migration) => migration.name), alreadyApplied: applied.size };
  } catch (error) {
    if ((error as { code?: string }).code === '42501') {
      throw new MigrationError(
        "This database role may not change the schema (permission denied). Apply migrations as the database owner (`npm run db:migrate` with the owner's DATABASE_URL), and run the gateway with MIGRATE_ON_START=false.",
      );
    }
    throw error;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [DatabaseLock.Migrate]);
  }
}
