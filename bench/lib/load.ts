import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One request's variable part (body and extra headers) and data kept with what it yields. */
export interface RequestItem {
  body?: string;
  headers?: Record<string, string>;
  meta?: Record<string, unknown>;
}

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** ndjson of RequestItem: each request consumes the next one (single-use proofs). */
  itemsFile?: string;
  connections: number;
  durationSeconds?: number;
  /** A fixed number of requests; takes precedence over the duration. */
  amount?: number;
  /** A 2xx response whose body lacks this text counts as a failure (e.g. a negative verdict). */
  expectBodyContains?: string;
  /** Write a value extracted from every 2xx body (plus the item's meta) to a ndjson file. */
  collect?: { extractor: 'proof'; file: string };
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** 2xx responses without the expected verdict. */
  wrongVerdicts: number;
  failureSamples: Record<string, string>;
  statusCodes: Record<string, number>;
  itemsExhausted: number;
  collected: number;
}

const workerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'load-worker.js');

/** Runs autocannon in a separate process and returns its figures. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.once('message', (message: { ok: boolean; result?: LoadResult; error?: string }) => {
      settled = true;
      if (message.ok && message.result) resolve(message.result);
      else reject(new Error(`load generator failed: ${message.error}`));
    });
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with code ${code} without a result`));
    });
    child.send(spec);
  });
}

/** Total failures of a run: anything but a 2xx with the expected body. */
export function failuresOf(result: LoadResult): number {
  // autocannon's `errors` already include timeouts.
  return result.non2xx + result.errors + result.wrongVerdicts + result.itemsExhausted;
}
