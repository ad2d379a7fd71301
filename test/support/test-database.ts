import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseConnection } from '../../src/common/database/database-connection.js';
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
  /**
   * Embedded mode only: the app whose in-memory PGlite `connect()` reads (set by startTestApp).
   * An in-memory PGlite lives inside its app, so there is nothing to connect to before it starts.
   */
  attach?(connection: DatabaseConnection): void;
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

// Suites send many refused requests from one address; the flood tests turn throttling and roll-ups on.
const QUIET: EnvironmentOverrides = {
  LOG_LEVEL: 'silent',
  JOBS_ENABLED: 'false',
  PUSH_DELIVERY_ENABLED: 'false',
  NODE_ENV: 'test',
  AUTH_FAILURE_LIMIT_PER_MINUTE: '0',
  AUDIT_ROLLUP_AFTER: '0',
  ...TEST_SECRETS,
};

/**
 * A database of this test file's own. On PostgreSQL: a copy of the migrated template
 * (`empty: true` gives an unmigrated one instead). Without DATABASE_URL: in-memory PGlite, which
 * only one app instance can use.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const server = testServerUrl();
  if (!server) {
    let attached: DatabaseConnection | undefined;
    return {
      shared: false,
      url: undefined,
      overrides: { ...QUIET, DATABASE_URL: '', EMBEDDED_DATA_DIR: 'memory://' },
      attach: (connection) => {
        attached = connection;
      },
      // The app's own single PGlite session, shaped like the pg.Client calls tests make.
      connect: async () => {
        if (!attached)
          throw new Error('start the app first: an in-memory PGlite exists only inside it');
        const session = await attached.openSession();
        const client = {
          query: async (sql: string, params?: unknown[]) => ({
            rows: await session.query(sql, params),
          }),
          end: () => Promise.resolve(),
        };
        return client as unknown as pg.Client;
      },
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
export const describeOnPostgres: jest.Describe = process.env.DATABASE_URL
  ? describe
  : describe.skip;

/** `it` on PostgreSQL only: for a case that starts a second app on the same database. */
export const itOnPostgres: jest.It = process.env.DATABASE_URL ? it : it.skip;
