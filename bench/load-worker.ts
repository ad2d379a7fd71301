/**
 * The load generator, run as its own process (forked by bench/lib/load.ts) so its CPU use is not
 * charged to the harness, and the gateway under test shares nothing with it but the machine.
 * Receives one LoadSpec over IPC, runs autocannon, answers with a LoadResult.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec, RequestItem } from './lib/load.js';

/** Pulls a value out of a 2xx response body, to be handed to a later scenario (e.g. a proof). */
const extractors: Record<string, (body: string) => Record<string, unknown> | undefined> = {
  proof: (body) => {
    const data = (JSON.parse(body) as { data?: { authmatechCode?: string; sdkSessionId?: string } })
      .data;
    return data?.authmatechCode
      ? { encryptedMobileNumber: data.authmatechCode, sdkSessionId: data.sdkSessionId }
      : undefined;
  },
};

function readItems(file: string): RequestItem[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RequestItem);
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const items = spec.itemsFile ? readItems(spec.itemsFile) : undefined;
  let next = 0;
  let exhausted = 0;
  const collected = spec.collect ? createWriteStream(spec.collect.file) : undefined;
  const extract = spec.collect ? extractors[spec.collect.extractor] : undefined;
  let collectedCount = 0;

  type Context = { item?: RequestItem };
  const request: autocannon.Request = {
    method: spec.method,
    path: spec.path,
    headers: spec.headers,
    body: spec.body,
  };
  if (items) {
    // One item per request, in order; a connection has one request in flight, so the context
    // still holds this request's item when its response arrives.
    request.setupRequest = (req: autocannon.Request, context: Context) => {
      const item = items[next++];
      if (item === undefined) {
        exhausted++;
        return req;
      }
      context.item = item;
      return { ...req, body: item.body ?? req.body, headers: { ...req.headers, ...item.headers } };
    };
  }
  const expected = spec.expectBodyContains;
  let wrongVerdicts = 0;
  const samples: Record<string, string> = {};
  // Every response is looked at: a 2xx without the expected verdict is a failure too, and one
  // body per failing status is kept to explain it.
  request.onResponse = (status: number, body: string, context: Context) => {
    if (status < 200 || status >= 300) {
      samples[status] ??= body.slice(0, 300);
      return;
    }
    if (expected && !body.includes(expected)) {
      wrongVerdicts++;
      samples.wrongVerdict ??= body.slice(0, 300);
    }
    if (!extract || !collected) return;
    const value = extract(body);
    if (value === undefined) return;
    collected.write(`${JSON.stringify({ ...context.item?.meta, ...value })}\n`);
    collectedCount++;
  };

  // autocannon rejects options present with an undefined value.
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount !== undefined
      ? { amount: spec.amount }
      : { duration: spec.durationSeconds ?? 10 }),
    timeout: 10,
    requests: [request],
  });
  if (collected) await new Promise<void>((resolve) => collected.end(resolve));

  const latency = result.latency;
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    latencyMs: {
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      average: latency.average,
      max: latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wrongVerdicts,
    failureSamples: samples,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [
        code,
        (stat as { count: number }).count,
      ]),
    ),
    itemsExhausted: exhausted,
    collected: collectedCount,
  };
}

process.once('message', (spec: LoadSpec) => {
  runLoad(spec).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.({ ok: false, error: String((error as Error).stack ?? error) }, () =>
        process.exit(1),
      ),
  );
});
