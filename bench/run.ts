/**
 * `npm run bench`: references and the gateway's hot paths measured in one run on this machine,
 * then the audit trail at scale. Prints a table and writes bench/results.json.
 * Flags: --duration <s> (10), --warmup <s> (3), --connections <n> (50), --events <n> (1e7),
 * --skip-references, --skip-hot-paths, --skip-audit, --skip-push, --only <scenarios>, --profile, --gateway-env KEY=VALUE (repeatable),
 * --dist <dir> (the gateway build, default dist), --output <file> (default bench/results.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runAuditAtScale } from './audit-scale.js';
import { runHotPaths } from './hot-paths.js';
import { runPushDelivery } from './push-delivery.js';
import { benchSecrets, startGateway } from './lib/gateway.js';
import { imageRuntimeEnv } from './lib/image-runtime.js';
import { machineFacts } from './lib/machine.js';
import { recreateDatabase } from './lib/postgres.js';
import { HTTP_HEADERS, httpRow, table } from './lib/report.js';
import { ratiosOf, targetsOf, type Results } from './lib/targets.js';
import { log } from './lib/scenario.js';
import { runReferences } from './references/references.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    events: { type: 'string', default: '1e7' },
    'skip-references': { type: 'boolean', default: false },
    'skip-hot-paths': { type: 'boolean', default: false },
    'skip-audit': { type: 'boolean', default: false },
    'skip-push': { type: 'boolean', default: false },
    /** Comma-separated hot-path scenarios: verify, sim-swap, flood, shield, health (default: all). */
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    output: { type: 'string', default: 'bench/results.json' },
    /** The gateway build to measure (default dist/, what `npm run build` produced). */
    dist: { type: 'string', default: 'dist' },
  },
});

const settings = {
  durationSeconds: Number(values.duration),
  warmupSeconds: Number(values.warmup),
  connections: Number(values.connections),
  events: Math.round(Number(values.events)),
};
for (const [name, value] of Object.entries(settings)) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: not a number`);
}
const GATEWAY_DATABASE = 'mig_bench';
const distDir = path.resolve(values.dist);

/** The image's heap and allocator settings (Dockerfile), for the gateway and the references alike. */
const RUNTIME_ENV = imageRuntimeEnv();

/**
 * Limits raised so the benchmark measures work, not refusals: the rate limiters still run (and
 * still write their shared counters), they just never reach the limit. The rest is the image's.
 */
const BENCH_GATEWAY_ENV = {
  ...RUNTIME_ENV,
  DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE: '10000000',
  JWT_KEY_RATE_LIMIT_PER_SECOND: '100000',
  // The flood scenario tells sources apart by X-Forwarded-For, as behind a load balancer.
  TRUSTED_PROXIES: '127.0.0.1',
};

function gatewayEnv(): Record<string, string> {
  const fromFlags = Object.fromEntries(
    (values['gateway-env'] ?? []).map((entry) => {
      const at = entry.indexOf('=');
      if (at < 1) throw new Error(`--gateway-env ${entry}: expected KEY=VALUE`);
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
  return { ...BENCH_GATEWAY_ENV, ...fromFlags };
}

function printSummary(results: Results): void {
  const rows: string[][] = [];
  const references = results.references;
  if (references) {
    rows.push(httpRow('(a) NestJS+Fastify constant JSON', references.constantJson));
    const pgbench = references.pgbenchInsert;
    rows.push([
      '(b) pgbench INSERT, 10 clients',
      String(Math.round(pgbench.transactionsPerSecond)),
      pgbench.latencyMs.p50.toFixed(1),
      pgbench.latencyMs.p99.toFixed(1),
      String(pgbench.failed),
      '-',
      '-',
    ]);
    const indexed = references.pgbenchInsertIndexed;
    rows.push([
      "(b') same, audit_event's 8 indexes",
      String(Math.round(indexed.transactionsPerSecond)),
      indexed.latencyMs.p50.toFixed(1),
      indexed.latencyMs.p99.toFixed(1),
      String(indexed.failed),
      '-',
      '-',
    ]);
    rows.push(httpRow('(c) naive NestJS+Prisma INSERT', references.naivePrismaInsert));
  }
  for (const [name, figures] of Object.entries(results.hotPaths?.routes ?? {})) {
    if (figures) rows.push(httpRow(name, figures));
  }
  for (const [name, figures] of Object.entries(results.hotPaths?.preparation ?? {})) {
    if (figures) rows.push(httpRow(`(info) ${name}`, figures));
  }
  process.stdout.write(`\n${table(HTTP_HEADERS, rows)}\n`);
  const ratioRows = Object.entries(results.ratios).map(([name, ratio]) => [
    name,
    ratio.toPgbench.toFixed(2),
    ratio.toNaivePrisma.toFixed(2),
    ratio.toConstantJson.toFixed(2),
    ratio.toPgbenchIndexed.toFixed(2),
  ]);
  if (ratioRows.length > 0) {
    process.stdout.write(
      `\n${table(['route', '÷ (b) pgbench', '÷ (c) naive', '÷ (a) HTTP', "÷ (b') indexed"], ratioRows)}\n`,
    );
  }
  if (results.audit) {
    process.stdout.write(
      `\n${table(
        ['audit at scale', 'figure'],
        Object.entries(results.audit.display).map(([name, value]) => [name, value]),
      )}\n`,
    );
  }
  process.stdout.write(
    `\n${table(
      ['target', 'wanted', 'measured', 'met'],
      results.targets.map((check) => [
        check.name,
        check.target,
        check.actual,
        check.met ? 'yes' : 'NO',
      ]),
    )}\n`,
  );
  for (const note of results.notes) process.stdout.write(`note: ${note}\n`);
}

async function main(): Promise<void> {
  const results: Results = {
    machine: await machineFacts(),
    settings: { ...settings, gatewayEnv: gatewayEnv() },
    ratios: {},
    targets: [],
    notes: [],
  };
  log(
    `machine: ${results.machine.cpuCount} × ${results.machine.cpuModel}, Node ${results.machine.node}`,
  );

  if (!values['skip-references']) {
    results.references = await runReferences({
      ...settings,
      gatewayDist: distDir,
      runtimeEnv: RUNTIME_ENV,
    });
  }

  const profileDir = values.profile ? path.resolve('bench/tmp/profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const gatewayOptions = { distDir, extraEnv: gatewayEnv(), profileDir };
  const secrets = benchSecrets();

  if (!values['skip-hot-paths']) {
    log(`gateway: fresh database ${GATEWAY_DATABASE}`);
    await recreateDatabase(GATEWAY_DATABASE);
    const gateway = await startGateway({ ...gatewayOptions, database: GATEWAY_DATABASE }, secrets);
    try {
      results.hotPaths = await runHotPaths(gateway, {
        ...settings,
        profileDir,
        database: GATEWAY_DATABASE,
        only: values.only === undefined ? undefined : new Set(values.only.split(',')),
      });
      results.notes.push(...results.hotPaths.notes);
    } finally {
      await gateway.service.stop();
    }
  }
  if (!values['skip-push']) {
    log('push: delivery to a local sink (default push settings)');
    results.push = await runPushDelivery({ distDir, subscriptions: 1_000, swaps: 20 });
  }
  if (!values['skip-audit']) {
    results.audit = await runAuditAtScale({
      events: settings.events,
      distDir,
      secrets,
      gateway: gatewayOptions,
    });
    results.notes.push(...results.audit.notes);
  }

  results.ratios = ratiosOf(results);
  results.targets = targetsOf(results);
  printSummary(results);
  mkdirSync(path.dirname(path.resolve(values.output)), { recursive: true });
  writeFileSync(values.output, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${values.output}`);
}

await main();
