import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../lib/processes.js';
import { BENCH_EVENT_COLUMNS, SERVER_URL } from '../lib/postgres.js';

export interface PgbenchResult {
  transactionsPerSecond: number;
  transactions: number;
  latencyMs: { p50: number; p99: number; average: number };
  failed: number;
}

// One audit-sized row per transaction; hashes are computed by the server, the way the gateway
// computes its own before writing.
const script = (table: string): string => `\\set c random(1, 50)
\\set lat random(1, 40)
INSERT INTO ${table} (${BENCH_EVENT_COLUMNS}) VALUES (
  md5(random()::text), 'cli_' || :c, 'api_key', 'fp-5f2c9d1e8a7b', 'client', 'cred-' || :c, 'verify', 'authmatech', 'LOGIN', 'ZAIN_JO',
  encode(sha256(random()::text::bytea), 'hex'), '**********67', 'success', '{"validNumber": true}', 200, :lat,
  '127.0.0.1', 'autocannon', '[{"operatorId": "ZAIN_JO", "status": 200, "latencyMs": 1}]',
  encode(sha256(random()::text::bytea), 'hex'), encode(sha256(random()::text::bytea), 'hex'));
`;

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/**
 * Reference (b), the durable-write limit: `pgbench -n -c 10 -j 2 -T <duration>`, one INSERT of an
 * audit-sized row per transaction (synchronous commit, as configured on the server). Latency
 * percentiles come from pgbench's per-transaction log.
 */
export async function runPgbench(
  database: string,
  table: string,
  durationSeconds: number,
): Promise<PgbenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mig-bench-pgbench-'));
  try {
    const scriptFile = path.join(dir, 'insert.sql');
    await writeFile(scriptFile, script(table));
    const url = new URL(`${SERVER_URL}/${database}`);
    const output = await run(
      'pgbench',
      [
        '-n',
        '-c',
        '10',
        '-j',
        '2',
        '-T',
        String(durationSeconds),
        '-f',
        scriptFile,
        '-l',
        `--log-prefix=${path.join(dir, 'log')}`,
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        decodeURIComponent(url.username || 'postgres'),
        database,
      ],
      { cwd: dir },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1]);
    const transactions = Number(
      /number of transactions actually processed: (\d+)/.exec(output)?.[1],
    );
    const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
    const latencies: number[] = [];
    for (const file of (await readdir(dir)).filter((name) => name.startsWith('log'))) {
      for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (Number.isFinite(micros) && line) latencies.push(micros / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const average = latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
    return {
      transactionsPerSecond: tps,
      transactions,
      failed,
      latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), average },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
