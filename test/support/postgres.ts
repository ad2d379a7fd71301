import pg from 'pg';

/** The server tests run on, from DATABASE_URL; undefined means embedded PGlite. */
export function testServerUrl(): URL | undefined {
  const raw = process.env.DATABASE_URL;
  if (!raw) return undefined;
  const url = new URL(raw);
  const name = databaseName(url);
  // Tests create and drop databases: never against anything not plainly meant for tests.
  if (!name.includes('test')) {
    throw new Error(
      `Refusing to run tests on database "${name}": its name must contain "test" (DATABASE_URL).`,
    );
  }
  return url;
}

export function databaseName(url: URL): string {
  return decodeURIComponent(url.pathname.replace(/^\//, ''));
}

export function withDatabase(url: URL, name: string): string {
  const copy = new URL(url);
  copy.pathname = `/${encodeURIComponent(name)}`;
  return copy.toString();
}

/** The migrated template each test file's database is copied from (made by global-setup.mjs). */
export function templateName(server: URL): string {
  return `${databaseName(server)}_template`;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A connection to the server's maintenance database, for CREATE/DROP DATABASE. */
export async function maintenanceClient(server: URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: withDatabase(server, 'postgres') });
  await client.connect();
  return client;
}
