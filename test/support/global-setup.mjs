// Jest loads global setup outside its module mapping, so this file is plain JavaScript.
// It migrates one template database per run with the built CLI (`npm test` builds first); each
// test file then copies the template (test/support/test-database.ts), which is much faster than
// migrating per file. Leftovers of an interrupted earlier run are dropped first.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import pg from 'pg';

export function testServer() {
  const raw = process.env.DATABASE_URL;
  if (!raw) return undefined;
  const url = new URL(raw);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  // Tests create and drop databases: never next to anything not plainly meant for tests.
  if (!name.includes('test')) {
    throw new Error(
      `Refusing to run tests on database "${name}": its name must contain "test" (DATABASE_URL).`,
    );
  }
  return { url, name };
}

export async function dropTestDatabases(server) {
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(server.url), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%' ESCAPE '\\'",
      [server.name],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  return admin;
}

export default async function globalSetup() {
  // The contract check's per-file reports (test/support/openapi-contract.setup.ts) start afresh.
  rmSync(process.env.MIG_CONTRACT_REPORT_DIR ?? 'coverage/openapi-contract', {
    recursive: true,
    force: true,
  });
  const server = testServer();
  if (!server) return;
  await dropTestDatabases(server);
  const template = `${server.name}_template`;
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(server.url), { pathname: '/postgres' }).toString(),
  });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = Object.assign(new URL(server.url), { pathname: `/${template}` }).toString();
  execFileSync('node', ['dist/cli.js', 'db:migrate', '--json'], {
    env: { ...process.env, DATABASE_URL: templateUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
