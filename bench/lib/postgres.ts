import pg from 'pg';

export const SERVER_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';

export function databaseUrl(name: string): string {
  return `${SERVER_URL}/${name}`;
}

/** The same database as the application role `mig_app` (trust authentication on this machine). */
export function appRoleUrl(name: string): string {
  const url = new URL(databaseUrl(name));
  url.username = 'mig_app';
  url.password = '';
  return url.toString();
}

/** Runs `work` with one connection to `database`, closing it afterwards. */
export async function withClient<T>(
  database: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: databaseUrl(database),
    application_name: 'mig-bench',
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops and creates a database of the benchmark's own (names start with mig_bench). */
export async function recreateDatabase(name: string): Promise<void> {
  if (!/^mig_bench(_[a-z0-9_]+)?$/.test(name))
    throw new Error(`refusing to recreate ${name}: not a benchmark database`);
  await withClient('postgres', async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
}

export async function serverVersion(): Promise<string> {
  return withClient(
    'postgres',
    async (client) => (await client.query<{ version: string }>('SELECT version()')).rows[0].version,
  );
}

/**
 * A table with the columns of audit_event (prisma/schema.prisma, issue 4): ids, actor, action,
 * contract, phone hash and mask, verdict, status, latency, origin, upstream summary and chain
 * hashes, keyed like it. Not partitioned, no trigger, no chain lock, no secondary index: the
 * references measure the durable write of one audit-sized row, the cost no design can avoid.
 */
export const benchEventTable = (name: string): string => `
CREATE TABLE IF NOT EXISTS ${name} (
  id                     bigserial,
  occurred_at            timestamptz(3) NOT NULL DEFAULT now(),
  correlation_id         varchar(256),
  client_id              varchar(64),
  credential_kind        varchar(20),
  credential_fingerprint varchar(100),
  actor_type             varchar(20) NOT NULL,
  actor_id               varchar(100),
  action                 varchar(100) NOT NULL,
  contract               varchar(20) NOT NULL,
  service_type           varchar(50),
  operator_id            varchar(40),
  phone_hash             char(64),
  phone_masked           varchar(32),
  outcome                varchar(10) NOT NULL,
  verdict                jsonb,
  http_status            integer,
  error_code             varchar(100),
  latency_ms             integer,
  source_ip              varchar(64),
  user_agent             varchar(512),
  upstream               jsonb,
  detail                 jsonb,
  prev_hash              char(64) NOT NULL,
  hash                   char(64) NOT NULL,
  PRIMARY KEY (id, occurred_at)
);`;

/**
 * The secondary indexes audit_event carries (seven b-tree, one GIN on the verdict), for the
 * informative variant (b'): what index upkeep adds to the same write.
 */
export const auditIndexes = (name: string): string => `
CREATE INDEX IF NOT EXISTS ${name}_time ON ${name} (occurred_at, id);
CREATE INDEX IF NOT EXISTS ${name}_client ON ${name} (client_id, occurred_at, id);
CREATE INDEX IF NOT EXISTS ${name}_phone ON ${name} (phone_hash, occurred_at, id);
CREATE INDEX IF NOT EXISTS ${name}_correlation ON ${name} (correlation_id);
CREATE INDEX IF NOT EXISTS ${name}_action ON ${name} (action, occurred_at, id);
CREATE INDEX IF NOT EXISTS ${name}_operator ON ${name} (operator_id, occurred_at, id);
CREATE INDEX IF NOT EXISTS ${name}_service ON ${name} (service_type, occurred_at, id);
CREATE INDEX IF NOT EXISTS ${name}_verdict ON ${name} USING gin (verdict jsonb_path_ops);`;

/** Columns written per row by the pgbench script and the naive app (id and time by default). */
export const BENCH_EVENT_COLUMNS =
  'correlation_id, client_id, credential_kind, credential_fingerprint, actor_type, actor_id, action, contract, service_type, operator_id, phone_hash, phone_masked, outcome, verdict, http_status, latency_ms, source_ip, user_agent, upstream, prev_hash, hash';
