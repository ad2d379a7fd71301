import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TestClock } from 'pg-boss';
import { PinnedClock, signJwt, type SwapClient } from '../sim-swap/sim-swap-test-kit.js';

export const SIM_PATH = '/sim-swap-subscriptions/v0.3/subscriptions';
export const DEVICE_PATH = '/device-swap-subscriptions/v0.1/subscriptions';
export const SIM_SWAPPED = 'org.camaraproject.sim-swap-subscriptions.v0.swapped';
export const SIM_ENDED = 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ended';

/**
 * The gateway's pinned clock and pg-boss's TestClock, moved together: pg-boss decides in the
 * database (`job_now()`) whether a delivery job is due, so a test that pins the gateway's time
 * pins the database's too (pass `queue` as `queueClock` to startSimSwapApp). Moving it is async
 * (it writes pg-boss's clock table): await `travel`.
 */
export class QueuePinnedClock extends PinnedClock {
  readonly queue: TestClock;

  constructor(start: Date) {
    super(start);
    this.queue = new TestClock(start);
  }

  /** Moves both clocks (use this, not `set`, which moves the gateway's only). */
  async travel(date: Date): Promise<void> {
    this.set(date);
    await this.queue.setTime(date);
  }
}

export interface Answer {
  status: number;
  body: unknown;
  correlator: string;
}

/** One request as a CAMARA client sends it: a fresh JWT and an x-correlator the audit event can be found by. */
export async function callAs(
  app: NestFastifyApplication,
  client: SwapClient,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  now: Date = new Date(),
): Promise<Answer> {
  const correlator = `push-${randomUUID()}`;
  const response = await app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${signJwt(client, now)}`,
      'x-correlator': correlator,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return {
    status: response.statusCode,
    body: response.body ? response.json<unknown>() : undefined,
    correlator,
  };
}

export function subscriptionRequest(
  sink: string,
  phoneNumber: string | undefined,
  overrides: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    protocol: 'HTTP',
    sink,
    types: [SIM_SWAPPED],
    config: { subscriptionDetail: phoneNumber === undefined ? {} : { phoneNumber }, ...config },
    sinkCredential: {
      credentialType: 'ACCESSTOKEN',
      accessToken: 'sink-token-not-a-secret-of-the-gateway',
      accessTokenExpiresUtc: '2099-01-01T00:00:00Z',
      accessTokenType: 'bearer',
    },
    ...overrides,
  };
}
