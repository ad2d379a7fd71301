import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  databaseName,
  maintenanceClient,
  quoteIdentifier,
  templateName,
  testServerUrl,
  withDatabase,
} from './postgres.js';

export type EnvironmentOverrides = Record<string, string | undefined>;

export interface TestDatabase {
  /** True on real PostgreSQL, false on an in-memory PGlite (no DATABASE_URL). */
  readonly shared: boolean;
  readonly url: string | undefined;
  /** Environment for an app instance on this database. */
  readonly overrides: EnvironmentOverrides;
  /** A direct connection, as the database owner (to inspect or tamper with rows). */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

// Fixed test secrets, so tests never write development secrets into the working tree.
export const TEST_SECRETS = {
  API_KEY_PEPPER: 'dGVzdC1hcGkta2V5LXBlcHBlci0zMi1ieXRlcy1sb25nLSEh',
  PHONE_HASH_PEPPER: 'dGVzdC1waG9uZS1oYXNoLXBlcHBlci0zMi1ieXRlcy1sb25nIQ',
  SECRET_ENCRYPTION_KEYS: '1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY',
};

const QUIET: EnvironmentOverrides = { LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', NODE_ENV: 'test', ...TEST_SECRETS };

/**
 * A database of this test file's own. On PostgreSQL: a copy of the migrated template
 * (`empty: true` gives an unmigrated one instead). Without DATABASE_URL: in-memory PGlite, which
 * only one app instance can use.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const server = testServerUrl();
  if (!server) {
    return {
      shared: false,
      url: undefined,
      overrides: { ...QUIET, DATABASE_URL: '', EMBEDDED_DATA_DIR: 'memory://' },
      connect: () => Promise.reject(new Error('direct connections need DATABASE_URL (PostgreSQL)')),
      drop: () => Promise.resolve(),
    };
  }
  const name = `${databaseName(server)}_f${randomBytes(6).toString('hex')}`;
  const admin = await maintenanceClient(server);
  try {
    await admin.query(
      options.empty
        ? `CREATE DATABASE ${quoteIdentifier(name)}`
        : `CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(templateName(server))}`,
    );
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, name);
  return {
    shared: true,
    url,
    overrides: { ...QUIET, DATABASE_URL: url },
    connect: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    drop: async () => {
      const dropper = await maintenanceClient(server);
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** `describe` on PostgreSQL; on embedded PGlite these cases (several instances, one database) cannot run. */
export const describeOnPostgres: jest.Describe = process.env.DATABASE_URL ? describe : describe.skip;
