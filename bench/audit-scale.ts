import { statfsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  seedAuditEvents,
  seedClientId,
  seedPhone,
  SEED_CLIENTS,
  SEED_PHONES,
} from './audit-seed.js';
import { startGateway, type GatewayHandle, type GatewayOptions } from './lib/gateway.js';
import { databaseUrl, recreateDatabase, withClient } from './lib/postgres.js';
import { memoryOf, resetPeakRss, run } from './lib/processes.js';
import { round } from './lib/report.js';
import { log } from './lib/scenario.js';

export interface LatencySample {
  queries: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Rows of the first page, to show the queries returned something. */
  rowsPerPage: number;
}

export interface AuditFigures {
  events: number;
  seed?: { seconds: number; eventsPerSecond: number; databaseSizeMb: number };
  filteredPage?: LatencySample;
  phoneSearch?: LatencySample;
  summary30Days?: { ms: number; coldMs: number; groups: number };
  export?: {
    rows: number;
    seconds: number;
    rowsPerSecond: number;
    peakRssMb: number;
    rssBeforeMb: number;
    peakRssFirstHalfMb: number;
    peakRssSecondHalfMb: number;
    rssSamplesMb: number[];
  };
  chainVerify?: { events: number; seconds: number; eventsPerSecond: number; ok: boolean };
  display: Record<string, string>;
  notes: string[];
}

interface Options {
  events: number;
  distDir: string;
  secrets: Record<string, string>;
  gateway: Omit<GatewayOptions, 'database'>;
}

export const AUDIT_DATABASE = 'mig_bench_audit';
const DAY = 86_400_000;
/** Rough on-disk size of one seeded event with its nine indexes (measured: ~1.1 kB). */
const BYTES_PER_EVENT = 1_200;

/** Query string of a URL. */
const query = (values: Record<string, string>): string => new URLSearchParams(values).toString();

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

async function timedGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(url, { headers });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok)
    throw new Error(
      `GET ${url.replace(/phoneNumber=[^&]+/, 'phoneNumber=…')}: HTTP ${response.status} ${text.slice(0, 300)}`,
    );
  return { ms, body: JSON.parse(text) as unknown };
}

function pageRows(body: unknown): number {
  const value = body as { data?: unknown[]; events?: unknown[]; items?: unknown[] };
  return (value.data ?? value.events ?? value.items ?? []).length;
}

async function latencies(urls: string[], headers: Record<string, string>): Promise<LatencySample> {
  const times: number[] = [];
  let rowsPerPage = 0;
  for (const url of urls) {
    const { ms, body } = await timedGet(url, headers);
    times.push(ms);
    if (times.length === 1) rowsPerPage = pageRows(body);
  }
  times.sort((a, b) => a - b);
  return {
    queries: times.length,
    p50Ms: round(percentile(times, 0.5)),
    p95Ms: round(percentile(times, 0.95)),
    maxMs: round(times[times.length - 1]),
    rowsPerPage,
  };
}

/**
 * Streams an export and counts its lines, sampling the gateway's RSS every 500 ms: flat memory
 * means the second half of the export peaks no higher than the first.
 */
async function measureExport(
  gateway: GatewayHandle,
  url: string,
  headers: Record<string, string>,
): Promise<NonNullable<AuditFigures['export']>> {
  const pid = gateway.service.pid;
  const rssBeforeMb = memoryOf(pid).rssMb;
  resetPeakRss(pid);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(Math.round(memoryOf(pid).rssMb)), 500);
  const started = performance.now();
  let lines = 0;
  try {
    const response = await fetch(url, { headers });
    if (!response.ok || !response.body) {
      throw new Error(`export: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
    }
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      for (let index = 0; index < chunk.length; index++) if (chunk[index] === 10) lines++;
    }
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = Math.max(0, lines - 1); // the ndjson schema line
  const half = Math.ceil(samples.length / 2);
  return {
    rows,
    seconds: round(seconds),
    rowsPerSecond: Math.round(rows / seconds),
    peakRssMb: Math.round(memoryOf(pid).peakRssMb),
    rssBeforeMb: Math.round(rssBeforeMb),
    peakRssFirstHalfMb: Math.max(0, ...samples.slice(0, half)),
    peakRssSecondHalfMb: Math.max(0, ...samples.slice(half)),
    rssSamplesMb: samples,
  };
}

async function adminKey(gateway: GatewayHandle, role: 'admin' | 'auditor'): Promise<string> {
  const output = await gateway.cli(['admin-key:create', '--role', role, '--json']);
  const parsed = JSON.parse(output) as { key?: string; secret?: string };
  const key = parsed.key ?? parsed.secret;
  if (!key) throw new Error(`admin-key:create printed no key: ${output.slice(0, 200)}`);
  return key;
}

/**
 * Issue 7, step 4: a database of its own with `events` chained audit events seeded over the past
 * 12 months, then the admin API's queries, the export and the chain verification against it.
 */
export async function runAuditAtScale(options: Options): Promise<AuditFigures> {
  const figures: AuditFigures = { events: options.events, display: {}, notes: [] };
  const disk = statfsSync('/work');
  const freeBytes = disk.bavail * disk.bsize;
  let events = options.events;
  if (events * BYTES_PER_EVENT > freeBytes * 0.6) {
    events = Math.floor((freeBytes * 0.6) / BYTES_PER_EVENT);
    figures.notes.push(
      `only ${Math.round(freeBytes / 1e9)} GB free on /work: seeded ${events} events instead of ${options.events}`,
    );
  }
  figures.events = events;

  await recreateDatabase(AUDIT_DATABASE);
  const env = {
    DATABASE_URL: databaseUrl(AUDIT_DATABASE),
    NODE_ENV: 'production',
    ...options.secrets,
  };
  await run(process.execPath, [`${options.distDir}/cli.js`, 'db:migrate', '--json'], { env });
  const to = new Date(Date.now() - 3_600_000);
  const from = new Date(to.getTime() - 365 * DAY);
  await withClient(AUDIT_DATABASE, async (client) => {
    const head = await client.query<{ position: string }>(
      'SELECT position::text AS position FROM audit_chain_head WHERE id = 1',
    );
    if (head.rows[0]?.position !== '0')
      throw new Error(`audit chain of ${AUDIT_DATABASE} is not empty after migration`);
    await client.query('SELECT audit_ensure_partitions($1::timestamptz, 15)', [from.toISOString()]);
  });

  log(`audit: seeding ${events} chained events over 12 months (COPY)`);
  const seeded = await seedAuditEvents({
    database: AUDIT_DATABASE,
    distDir: options.distDir,
    phonePepper: options.secrets.PHONE_HASH_PEPPER,
    count: events,
    from,
    to,
    onProgress: (done) => log(`audit: seeded ${done}`),
  });
  const databaseSizeMb = await withClient(AUDIT_DATABASE, async (client) => {
    // The seeded events become the chain the gateway continues.
    await client.query(
      'UPDATE audit_chain_head SET position = $1::bigint, hash = $2, updated_at = now() WHERE id = 1',
      [String(seeded.head.position), seeded.head.hash],
    );
    // What autovacuum would long have done to months-old rows: hint bits, visibility map, statistics.
    await client.query('VACUUM (ANALYZE) audit_event');
    const size = await client.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database())::text AS bytes',
    );
    return Math.round(Number(size.rows[0].bytes) / 1024 / 1024);
  });
  figures.seed = {
    seconds: round(seeded.seconds, 1),
    eventsPerSecond: Math.round(events / seeded.seconds),
    databaseSizeMb,
  };
  log(`audit: seeded in ${figures.seed.seconds} s; starting a gateway on ${AUDIT_DATABASE}`);

  const gateway = await startGateway(
    { ...options.gateway, database: AUDIT_DATABASE },
    options.secrets,
  );
  try {
    const auditor = { authorization: `Bearer ${await adminKey(gateway, 'auditor')}` };
    const base = gateway.service.url;
    const last = seeded.lastAt.getTime();

    // One client, a 24-hour window, ~50 different client/day pairs across the year.
    const pageUrls = Array.from({ length: 50 }, (_, index) => {
      const end = last - ((index * 7) % 360) * DAY;
      const params = query({
        clientId: seedClientId(index % SEED_CLIENTS),
        from: new Date(end - DAY).toISOString(),
        to: new Date(end).toISOString(),
      });
      return `${base}/admin/v1/audit/events?${params}`;
    });
    await latencies(pageUrls.slice(0, 5), auditor); // warm the route and the plan cache
    figures.filteredPage = await latencies(pageUrls, auditor);
    log(`audit: filtered page p95 ${figures.filteredPage.p95Ms} ms`);

    const phoneUrls = Array.from(
      { length: 50 },
      (_, index) =>
        `${base}/admin/v1/audit/events?${query({ phoneNumber: seedPhone((index * 3_989) % SEED_PHONES) })}`,
    );
    await latencies(phoneUrls.slice(0, 5), auditor);
    figures.phoneSearch = await latencies(phoneUrls, auditor);
    log(`audit: phone search p95 ${figures.phoneSearch.p95Ms} ms`);

    const summaryUrl = `${base}/admin/v1/reports/summary?${query({ from: new Date(last - 30 * DAY).toISOString(), to: new Date(last + 1).toISOString(), groupBy: 'day' })}`;
    const cold = await timedGet(summaryUrl, auditor);
    const warm = [await timedGet(summaryUrl, auditor), await timedGet(summaryUrl, auditor)]
      .map((sample) => sample.ms)
      .sort((a, b) => a - b);
    const summaryBody = cold.body as
      unknown[] | { data?: unknown[]; groups?: unknown[]; rows?: unknown[] };
    const groups = Array.isArray(summaryBody)
      ? summaryBody
      : (summaryBody.data ?? summaryBody.groups ?? summaryBody.rows ?? []);
    figures.summary30Days = { ms: round(warm[0]), coldMs: round(cold.ms), groups: groups.length };
    log(`audit: 30-day summary ${figures.summary30Days.ms} ms`);

    // Events are evenly spaced, so the newest 1 M (or all, on a smaller seed) lie in this window.
    const exportRows = Math.min(1_000_000, events);
    const exportFrom = new Date(last - ((last - from.getTime()) * exportRows) / events);
    const exportUrl = `${base}/admin/v1/audit/export?${query({ format: 'ndjson', from: exportFrom.toISOString(), to: new Date(last + 1).toISOString() })}`;
    figures.export = await measureExport(gateway, exportUrl, auditor);
    log(`audit: export ${figures.export.rows} rows at ${figures.export.rowsPerSecond} rows/s`);

    const started = performance.now();
    // Exit code 2 means a broken chain: still a report to read.
    const output = await gateway.cli(['audit:verify', '--json'], [0, 2]);
    const seconds = (performance.now() - started) / 1000;
    const report = JSON.parse(output) as { ok: boolean; checkedEvents: number };
    // The rate includes the CLI's start-up (Nest context, database connection): what an operator waits.
    figures.chainVerify = {
      events: report.checkedEvents,
      seconds: round(seconds),
      eventsPerSecond: Math.round(report.checkedEvents / seconds),
      ok: report.ok,
    };
    log(
      `audit: audit:verify ${figures.chainVerify.eventsPerSecond} events/s (ok: ${figures.chainVerify.ok})`,
    );
    if (!figures.chainVerify.ok)
      figures.notes.push(`audit:verify did not report an intact chain: ${output.slice(0, 300)}`);
  } finally {
    await gateway.service.stop();
  }

  figures.display = {
    'events seeded': `${events} (${figures.seed.eventsPerSecond}/s, database ${figures.seed.databaseSizeMb} MB)`,
    'filtered page (1 client, 24 h) p50 / p95': `${figures.filteredPage?.p50Ms} / ${figures.filteredPage?.p95Ms} ms`,
    'phone search p50 / p95': `${figures.phoneSearch?.p50Ms} / ${figures.phoneSearch?.p95Ms} ms`,
    'reports/summary 30 days (warm / cold)': `${figures.summary30Days?.ms} / ${figures.summary30Days?.coldMs} ms`,
    export: `${figures.export?.rows} rows, ${figures.export?.rowsPerSecond} rows/s, peak RSS ${figures.export?.peakRssMb} MB (before ${figures.export?.rssBeforeMb}; 1st half ≤ ${figures.export?.peakRssFirstHalfMb}, 2nd half ≤ ${figures.export?.peakRssSecondHalfMb})`,
    'audit:verify': `${figures.chainVerify?.eventsPerSecond} events/s over ${figures.chainVerify?.events}`,
  };
  return figures;
}
