import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  auditIndexes,
  benchEventTable,
  databaseUrl,
  recreateDatabase,
  withClient,
} from '../lib/postgres.js';
import { freePort, startService } from '../lib/processes.js';
import { log, measureConstant, type HttpFigures } from '../lib/scenario.js';
import { runPgbench, type PgbenchResult } from './pgbench.js';

export interface ReferenceFigures {
  constantJson: HttpFigures;
  pgbenchInsert: PgbenchResult;
  /** Informative: the same write into a table with audit_event's secondary indexes. */
  pgbenchInsertIndexed: PgbenchResult;
  naivePrismaInsert: HttpFigures;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const REFERENCE_DATABASE = 'mig_bench_ref';

interface Options {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  gatewayDist: string;
  /** The image's process settings (heap, allocator), the same as the gateway's in this run. */
  runtimeEnv: Record<string, string>;
}

/** Runs the three references of issue 7, each alone on the machine. */
export async function runReferences(options: Options): Promise<ReferenceFigures> {
  log('reference (a): NestJS + Fastify constant JSON');
  const constantPort = await freePort();
  const constantApp = await startService({
    name: 'constant-json',
    args: [path.join(here, 'constant-json-app.js')],
    env: { ...options.runtimeEnv, NODE_ENV: 'production', PORT: String(constantPort) },
    port: constantPort,
    readyPath: '/ready',
  });
  let constantJson: HttpFigures;
  try {
    constantJson = await measureConstant(
      constantApp,
      {
        method: 'GET',
        path: '/constant',
        headers: {},
        connections: options.connections,
        expectBodyContains: '"validNumber":true',
      },
      options,
    );
  } finally {
    await constantApp.stop();
  }

  await recreateDatabase(REFERENCE_DATABASE);
  await withClient(REFERENCE_DATABASE, async (client) => {
    await client.query(benchEventTable('bench_event'));
    await client.query(benchEventTable('bench_event_indexed'));
    await client.query(auditIndexes('bench_event_indexed'));
  });

  log('reference (b): pgbench, one audit-sized INSERT per transaction, 10 clients');
  await runPgbench(REFERENCE_DATABASE, 'bench_event', Math.max(2, options.warmupSeconds));
  const pgbenchInsert = await runPgbench(
    REFERENCE_DATABASE,
    'bench_event',
    options.durationSeconds,
  );
  log("reference (b'): the same with audit_event's secondary indexes");
  const pgbenchInsertIndexed = await runPgbench(
    REFERENCE_DATABASE,
    'bench_event_indexed',
    options.durationSeconds,
  );

  log('reference (c): NestJS + Fastify + Prisma, one INSERT per request');
  const naivePort = await freePort();
  const naiveApp = await startService({
    name: 'naive-prisma',
    args: [path.join(here, 'naive-insert-app.js')],
    env: {
      ...options.runtimeEnv,
      NODE_ENV: 'production',
      PORT: String(naivePort),
      DATABASE_URL: databaseUrl(REFERENCE_DATABASE),
      GATEWAY_DIST: options.gatewayDist,
    },
    port: naivePort,
    readyPath: '/ready',
  });
  let naivePrismaInsert: HttpFigures;
  try {
    naivePrismaInsert = await measureConstant(
      naiveApp,
      {
        method: 'POST',
        path: '/event',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phoneNumber: '+962791234567', serviceType: 'LOGIN' }),
        connections: options.connections,
        expectBodyContains: '"validNumber":true',
      },
      options,
    );
  } finally {
    await naiveApp.stop();
  }
  return { constantJson, pgbenchInsert, pgbenchInsertIndexed, naivePrismaInsert };
}
