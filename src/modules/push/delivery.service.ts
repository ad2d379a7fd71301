import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { AuditService, type UnitWrite } from '../audit/audit.service.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import {
  ATTEMPT_LOG,
  DELIVERY_STATE,
  GONE_DELIVERIES,
  PushRepository,
  SUBSCRIPTION_GONE,
  type AttemptResult,
  type ClaimedDelivery,
} from './push.repository.js';
import { DeliveryQueue, type DeliveryJob } from './delivery.queue.js';
import { newKeyId } from './ids.js';
import { SubscriptionsService } from './subscriptions.service.js';
import {
  newSigningSecret,
  secretBytes,
  signatureHeaders,
  type SigningKey,
} from './webhook-signature.js';
import { LRUCache } from 'lru-cache';

/** CloudEvents `source` of every event this gateway sends. */
const EVENT_SOURCE = 'urn:mobile-identity-gateway:swap-subscriptions';
const JITTER = 0.2;
const MAX_RETRY_AFTER_S = 86_400;
const KEY_CACHE_MS = 5_000;
const ERROR_LIMIT = 300;

/** What the sink answered (or why there was no answer). */
interface SinkAnswer {
  status: number | null;
  retryAfter: string | undefined;
  error: string | null;
}

/** The retry delay after `attempt` failed attempts, with ±20% jitter; undefined when none is left. */
function retryDelayMs(
  delaysSeconds: readonly number[],
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  const base = attempt >= 1 ? delaysSeconds.at(attempt - 1) : undefined;
  if (base === undefined) return undefined;
  return Math.round(base * 1000 * (1 - JITTER + 2 * JITTER * random()));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const seconds = /^\d+$/.test(value.trim())
    ? Number(value.trim())
    : (Date.parse(value) - now.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_S) * 1000;
}

/**
 * Delivers the outbox's events from their pg-boss jobs (several workers fetch disjoint ones), POSTs
 * each to its sink as a signed CloudEvent, and commits the attempt's log row, the event's new state,
 * the attempt's audit event and (for a retry) the next attempt's job in one unit of work. At least
 * once: a job whose outcome was not committed (crash, database outage) is not completed, and
 * pg-boss hands it out again when its lease ends.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly delays: number[];
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };
  /**
   * Each client's signing keys; concurrent deliveries of one client share the load (and the first
   * key's creation). `firstRetiresAt` is in clock time (ms), so a retired key stops signing on time.
   */
  private readonly keyCache = new LRUCache<string, { keys: SigningKey[]; firstRetiresAt: number }>({
    max: 10_000,
    ttlResolution: 0, // the clock on every lookup, as CredentialCache
    ttl: KEY_CACHE_MS,
    fetchMethod: (clientId) => this.loadSigningKeys(clientId),
    // A load in flight when the keys are rotated answers its caller but is not kept.
    ignoreFetchAbort: true,
  });

  constructor(
    private readonly repository: PushRepository,
    private readonly queue: DeliveryQueue,
    private readonly subscriptions: SubscriptionsService,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {
    this.delays = environment.PUSH_RETRY_DELAYS_S.split(',').map(Number);
  }

  get maxAttempts(): number {
    return this.delays.length + 1;
  }

  /**
   * Fetches one batch of due jobs from pg-boss, delivers their events and completes the jobs whose
   * outcome is committed; resolves with how many events were attempted. (The worker runs the same
   * delivery through pg-boss's `work`; tests call this at a pinned time.)
   */
  async runOnce(): Promise<number> {
    const jobs = await this.queue.fetch();
    const { attempted, unsettled } = await this.deliverJobs(jobs);
    // An unsettled job stays active: pg-boss hands it out again after its lease.
    await this.queue.complete(jobs.filter((job) => !unsettled.has(job.id)));
    return attempted;
  }

  /**
   * Delivers the events of fetched jobs. A job whose event is not its to attempt (stale, or the
   * event is settled) claims nothing and is done. `unsettled`: jobs whose attempt was made but
   * whose outcome could not be committed; they must not be completed.
   */
  async deliverJobs(jobs: DeliveryJob[]): Promise<{ attempted: number; unsettled: Set<string> }> {
    const claimed = await this.repository.claimJobs(
      jobs.map((job) => ({ deliveryId: job.data.deliveryId, jobId: job.id })),
    );
    const bySink = new Map<string, ClaimedDelivery[]>();
    for (const delivery of claimed) {
      const origin = originOf(delivery.sink);
      bySink.set(origin, [...(bySink.get(origin) ?? []), delivery]);
    }
    const unsettled = new Set<string>();
    await Promise.all(
      [...bySink.values()].map((deliveries) => this.deliverToSink(deliveries, unsettled)),
    );
    return { attempted: claimed.length, unsettled };
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** At most PUSH_SINK_CONCURRENCY requests in flight to one sink from this instance. */
  private async deliverToSink(
    deliveries: ClaimedDelivery[],
    unsettled: Set<string>,
  ): Promise<void> {
    const queue = [...deliveries];
    const lanes = Math.min(this.environment.PUSH_SINK_CONCURRENCY, queue.length);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          try {
            await this.deliver(next);
          } catch (error) {
            // Not committed: its job is not completed, so pg-boss hands it out again after the lease.
            unsettled.add(next.jobId);
            this.logger.error(
              `delivery ${next.id} attempt ${next.attempt} not recorded: ${describe(error)}`,
            );
          }
        }
      }),
    );
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const phoneNumber = this.subscriptions.phoneNumberOf(
      delivery.phoneSealed,
      delivery.phoneKeyVersion,
    );
    const body = JSON.stringify({
      id: delivery.id,
      source: EVENT_SOURCE,
      specversion: '1.0',
      type: delivery.type,
      time: delivery.occurredAt.toISOString(),
      datacontenttype: 'application/json',
      data: delivery.terminationReason
        ? { subscriptionId: delivery.subscriptionId, terminationReason: delivery.terminationReason }
        : { subscriptionId: delivery.subscriptionId, phoneNumber },
    });
    const startedAt = this.clock.now();
    const started = performance.now();
    const keys = await this.signingKeys(delivery.clientId);
    const headers: Record<string, string> = {
      'content-type': 'application/cloudevents+json',
      'user-agent': 'mobile-identity-gateway-webhooks/1',
      ...signatureHeaders(delivery.id, Math.floor(startedAt.getTime() / 1000), body, keys),
    };
    const token = this.subscriptions.accessTokenOf(
      delivery.credentialSealed,
      delivery.credentialKeyVersion,
    );
    if (token) headers.authorization = `Bearer ${token}`;
    const answer = await this.post(delivery.sink, headers, body);
    const latencyMs = Math.round(performance.now() - started);
    const result = this.judge(delivery, answer, startedAt, latencyMs);
    await this.record(delivery, result, phoneNumber);
  }

  private judge(
    delivery: ClaimedDelivery,
    answer: SinkAnswer,
    startedAt: Date,
    latencyMs: number,
  ): AttemptResult {
    const base = {
      deliveryId: delivery.id,
      attempt: delivery.attempt,
      startedAt,
      httpStatus: answer.status,
      latencyMs,
      subscriptionId: delivery.subscriptionId,
    };
    if (answer.status !== null && answer.status >= 200 && answer.status < 300)
      return { ...base, outcome: 'delivered', error: null };
    if (answer.status === 410)
      return {
        ...base,
        outcome: 'gone',
        error: 'the sink answered 410 Gone: the subscription ends',
      };
    const error = answer.error ?? `the sink answered ${answer.status ?? 'nothing'}`;
    const now = this.clock.now();
    const scheduled = retryDelayMs(this.delays, delivery.attempt);
    if (scheduled === undefined) return { ...base, outcome: 'dead', error };
    const wait =
      answer.status === 429 ? (retryAfterMs(answer.retryAfter, now) ?? scheduled) : scheduled;
    return { ...base, outcome: 'retry', error, nextAttemptAt: new Date(now.getTime() + wait) };
  }

  /** The attempt's log row, the event's state and the attempt's audit event: one unit of work. */
  private async record(
    delivery: ClaimedDelivery,
    result: AttemptResult,
    phoneNumber: string,
  ): Promise<void> {
    const at = this.clock.now().toISOString();
    // A 410 ends the subscription; the event itself is cancelled (the sink refused it for good).
    const status = { delivered: 'delivered', gone: 'cancelled', dead: 'dead', retry: 'pending' }[
      result.outcome
    ];
    const writes: UnitWrite[] = [
      {
        kind: ATTEMPT_LOG,
        row: {
          delivery_id: result.deliveryId,
          attempt: result.attempt,
          started_at: result.startedAt.toISOString(),
          http_status: result.httpStatus,
          latency_ms: result.latencyMs,
          outcome: result.outcome,
          error: result.error?.slice(0, ERROR_LIMIT) ?? null,
        },
      },
      {
        kind: DELIVERY_STATE,
        row: {
          id: result.deliveryId,
          attempt: result.attempt,
          status,
          next_attempt_at: result.nextAttemptAt?.toISOString() ?? null,
          http_status: result.httpStatus,
          error: result.error?.slice(0, ERROR_LIMIT) ?? null,
          at,
        },
      },
    ];
    if (result.outcome === 'gone') {
      writes.push(
        { kind: SUBSCRIPTION_GONE, row: { subscription_id: delivery.subscriptionId, at } },
        {
          kind: GONE_DELIVERIES,
          row: { subscription_id: delivery.subscriptionId, delivery_id: delivery.id, at },
        },
      );
    }
    await this.audit.commit({
      writes,
      events: {
        ok: {
          action: 'push.delivery_attempt',
          contract: 'system',
          actorType: 'system',
          actorId: 'push-delivery',
          clientId: delivery.clientId,
          outcome: result.outcome === 'delivered' ? 'success' : 'failure',
          phoneNumber,
          correlationId: `push-${randomUUID()}`,
          latencyMs: result.latencyMs,
          detail: {
            eventId: delivery.id,
            eventType: delivery.type,
            subscriptionId: delivery.subscriptionId,
            attempt: result.attempt,
            sinkStatus: result.httpStatus,
            result: result.outcome,
            ...(result.nextAttemptAt ? { nextAttemptAt: result.nextAttemptAt.toISOString() } : {}),
          },
        },
      },
    });
  }

  /** The client's keys that still sign; a client without one gets its first key now (README: rotate to read a secret). */
  private async signingKeys(clientId: string): Promise<SigningKey[]> {
    let entry = await this.keyCache.fetch(clientId);
    // A key that retired since the load must stop signing on time (clock time, which tests pin).
    if (entry !== undefined && entry.firstRetiresAt <= this.clock.now().getTime())
      entry = await this.keyCache.fetch(clientId, { forceRefresh: true });
    if (entry === undefined) throw new Error('signing key load aborted');
    return entry.keys;
  }

  private async loadSigningKeys(
    clientId: string,
  ): Promise<{ keys: SigningKey[]; firstRetiresAt: number }> {
    const now = this.clock.now();
    let rows = await this.repository.signingKeysOf(clientId, now);
    if (rows.length === 0) {
      const sealed = this.box.seal(newSigningSecret());
      await this.repository.insertFirstSigningKey(
        {
          id: newKeyId(),
          clientId,
          secretSealed: sealed.ciphertext,
          secretKeyVersion: sealed.keyVersion,
        },
        now,
      );
      rows = await this.repository.signingKeysOf(clientId, now);
    }
    const keys = rows.map((row) => ({
      id: row.id,
      secret: secretBytes(
        this.box.open({ ciphertext: row.secretSealed, keyVersion: row.secretKeyVersion }),
      ),
    }));
    const firstRetiresAt = Math.min(
      ...rows.map((row) => row.retiresAt?.getTime() ?? Number.POSITIVE_INFINITY),
    );
    return { keys, firstRetiresAt };
  }

  forgetKeys(clientId: string): void {
    this.keyCache.delete(clientId);
  }

  /** One POST within the attempt timeout, only to addresses the sink policy allows. */
  private post(sink: string, headers: Record<string, string>, body: string): Promise<SinkAnswer> {
    const policy = this.subscriptions.sinks;
    const url = new URL(sink);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (
      policy.refusal(sink) !== undefined ||
      (isIP(host) !== 0 && !policy.mayConnect(host, host))
    ) {
      return Promise.resolve({
        status: null,
        retryAfter: undefined,
        error: 'the sink is not allowed (non-public address)',
      });
    }
    const secure = url.protocol === 'https:';
    const client = secure ? https : http;
    return new Promise((resolve) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: secure ? this.agents.https : this.agents.http,
          lookup: policy.lookupFor(host),
          timeout: this.environment.PUSH_ATTEMPT_TIMEOUT_MS,
          signal: AbortSignal.timeout(this.environment.PUSH_ATTEMPT_TIMEOUT_MS),
        },
        (response) => {
          // The body is not kept (it could echo anything); it is drained so the connection is reused.
          response.resume();
          response.on('end', () => {
            resolve({
              status: response.statusCode ?? null,
              retryAfter: header(response.headers['retry-after']),
              error: null,
            });
          });
          response.on('error', (error) => {
            resolve({
              status: response.statusCode ?? null,
              retryAfter: undefined,
              error: describe(error),
            });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error) => {
        resolve({ status: null, retryAfter: undefined, error: describe(error) });
      });
      request.end(body);
    });
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function originOf(sink: string): string {
  try {
    return new URL(sink).origin;
  } catch {
    return sink;
  }
}

/**
 * A transport error without anything from the request (no URL, token or body). Read by shape, not
 * `instanceof Error`: errors from node:http may come from another realm (a VM context, as under Jest).
 */
function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'connection failed';
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError' || message === 'timeout')
    return 'timeout: no answer within the attempt timeout';
  if (code === 'ESINKDENIED') return 'the sink resolves to a non-public address';
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)
    ? `connection failed (${code})`
    : 'connection failed';
}
