/**
 * Push delivery (issue 16), part of `npm run bench` (`--skip-push` leaves it out):
 * starts the built gateway on its own database (mig_bench_push, recreated) with its default push
 * settings and a local sink on 127.0.0.1, and measures (1) throughput: `swaps` sandbox swaps of
 * one number with `subscriptions` subscriptions each (swaps × subscriptions events), from the
 * first change to the last delivery; (2) latency from change to delivery with no backlog: 100
 * swaps of another number with one subscription, 50 ms apart; p50/p99 of (received − change
 * answered). The gateway runs with NODE_ENV=test: production refuses plain-http sinks.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { benchSecrets, startGateway } from './lib/gateway.js';
import { recreateDatabase } from './lib/postgres.js';
import { log } from './lib/scenario.js';

const DATABASE = 'mig_bench_push';

export interface PushFigures {
  throughputEventsPerSecond: number;
  events: number;
  distinctIds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface PushOptions {
  distDir: string;
  subscriptions: number;
  swaps: number;
}

interface Received {
  id: string;
  time: string;
  at: number;
}

export async function runPushDelivery({
  distDir,
  subscriptions: SUBSCRIPTIONS,
  swaps: SWAPS,
}: PushOptions): Promise<PushFigures> {
  const received: Received[] = [];
  let expected = 0;
  let resolveAll: (() => void) | undefined;
  const sink = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id: string;
        time: string;
      };
      received.push({ id: event.id, time: event.time, at: performance.now() });
      response.writeHead(204).end();
      if (received.length >= expected) resolveAll?.();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  await recreateDatabase(DATABASE);
  const gateway = await startGateway(
    {
      database: DATABASE,
      distDir,
      extraEnv: {
        NODE_ENV: 'test',
        PUSH_SINK_ALLOWED_HOSTS: '127.0.0.1',
        DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE: '10000000',
      },
    },
    benchSecrets(),
  );
  try {
    const client = JSON.parse(
      await gateway.cli([
        'client:create',
        '--name',
        'push-bench',
        '--sandbox',
        '--products',
        'SIM_SWAP',
        '--json',
      ]),
    ) as {
      clientId: string;
      jwtKeyId: string;
      jwtSecret: string;
    };
    const adminKey = (
      JSON.parse(await gateway.cli(['admin-key:create', '--role', 'admin', '--json'])) as {
        key: string;
      }
    ).key;
    const base = gateway.service.url;
    const token = (): Promise<string> =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId })
        .setIssuedAt()
        .setNotBefore(Math.floor(Date.now() / 1000))
        .setExpirationTime('60s')
        .sign(new TextEncoder().encode(client.jwtSecret));
    const subscribe = async (phoneNumber: string, path: string): Promise<void> => {
      const response = await fetch(`${base}/sim-swap-subscriptions/v0.3/subscriptions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token()}`,
          'content-type': 'application/json',
          'x-correlator': randomUUID(),
        },
        body: JSON.stringify({
          protocol: 'HTTP',
          sink: `${sinkUrl}${path}`,
          types: ['org.camaraproject.sim-swap-subscriptions.v0.swapped'],
          config: { subscriptionDetail: { phoneNumber } },
        }),
      });
      if (response.status !== 201)
        throw new Error(`subscribe: HTTP ${response.status} ${await response.text()}`);
    };
    const swap = async (phoneNumber: string, at: string): Promise<number> => {
      const response = await fetch(
        `${base}/admin/v1/sandbox/sim-swap/${encodeURIComponent(phoneNumber)}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ latestSimChange: at, latestDeviceChange: null }),
        },
      );
      if (response.status !== 200)
        throw new Error(`swap: HTTP ${response.status} ${await response.text()}`);
      return performance.now();
    };

    log(`creating ${SUBSCRIPTIONS} subscriptions`);
    for (let offset = 0; offset < SUBSCRIPTIONS; offset += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, SUBSCRIPTIONS - offset) }, (_, index) =>
          subscribe('+31612345001', `/t/${offset + index}`),
        ),
      );
    }
    await subscribe('+31612345003', '/latency');

    // (1) Throughput.
    expected = SWAPS * SUBSCRIPTIONS;
    const done = new Promise<void>((resolve) => (resolveAll = resolve));
    const started = performance.now();
    for (let index = 0; index < SWAPS; index += 1)
      await swap('+31612345001', new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString());
    await done;
    const seconds = (performance.now() - started) / 1000;
    const ids = new Set(received.map((event) => event.id));
    const throughput = Math.round(expected / seconds);
    log(
      `throughput: ${expected} events in ${seconds.toFixed(2)} s = ${throughput} events/s (${received.length} requests, ${ids.size} distinct ids)`,
    );

    // (2) Latency without backlog.
    received.length = 0;
    expected = 100;
    const latencyDone = new Promise<void>((resolve) => (resolveAll = resolve));
    const sentAt = new Map<string, number>();
    for (let index = 0; index < 100; index += 1) {
      const at = new Date(Date.UTC(2026, 1, 1, 0, 0, index)).toISOString();
      sentAt.set(at, await swap('+31612345003', at));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await latencyDone;
    const latencies = received
      .map((event) => event.at - (sentAt.get(event.time) ?? event.at))
      .sort((a, b) => a - b);
    const quantile = (q: number): number =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    log(
      `change → delivery, no backlog: p50 ${quantile(0.5).toFixed(1)} ms, p99 ${quantile(0.99).toFixed(1)} ms (${latencies.length} events)`,
    );
    return {
      throughputEventsPerSecond: throughput,
      events: SWAPS * SUBSCRIPTIONS,
      distinctIds: ids.size,
      latencyP50Ms: quantile(0.5),
      latencyP99Ms: quantile(0.99),
    };
  } finally {
    await gateway.service.stop();
    sink.close();
  }
}
