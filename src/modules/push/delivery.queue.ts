import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Clock as QueueClock, Job, PgBoss, WorkHandler } from 'pg-boss';
import { Environment } from '../../common/config/environment.js';
import { DatabaseConnection } from '../../common/database/database-connection.js';

/** The pg-boss queue of webhook deliveries (created by migration 20261206100000_add_pg_boss). */
const QUEUE = 'push-delivery';

/**
 * pg-boss's source of time. The system clock in production; a test that pins the gateway's clock
 * provides pg-boss's `TestClock` here too, so the database's `job_now()` (which decides when a job
 * is due) reads the same pinned time.
 */
export const DELIVERY_QUEUE_CLOCK = Symbol('DELIVERY_QUEUE_CLOCK');
/** null: pg-boss's own system clock. */
export const DeliveryQueueClockProvider = { provide: DELIVERY_QUEUE_CLOCK, useValue: null };

/** What a delivery job carries: the event (push_delivery row) it is for. */
export interface DeliveryJobData {
  deliveryId: string;
}
export type DeliveryJob = Job<DeliveryJobData>;

/**
 * Crash recovery is pg-boss's: a job whose attempt never finished (the process died, the outcome
 * could not be committed) expires after its lease and is retried on this backoff. These retries
 * are not the sink's retry schedule (PUSH_RETRY_DELAYS_S, recorded on the event): they only bring
 * back a job that no worker settled, at most 1 s, 2 s, 4 s … apart, capped at 5 minutes, 100 times.
 */
const RECOVERY = { retryLimit: 100, retryDelay: 1, retryBackoff: true, retryDelayMax: 300 };

/**
 * The delivery queue on pg-boss. Its schema comes from our migrations: pg-boss starts with
 * `migrate` and `createSchema` off, so the application role needs no DDL. Cron scheduling is off
 * (our jobs are in push.jobs.ts); supervision (expiry of leases, retention) is on.
 */
@Injectable()
export class DeliveryQueue implements OnModuleDestroy {
  private readonly logger = new Logger(DeliveryQueue.name);
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;

  constructor(
    private readonly environment: Environment,
    private readonly connection: DatabaseConnection,
    @Inject(DELIVERY_QUEUE_CLOCK) private readonly clock: QueueClock | null,
  ) {}

  /** How long one job's attempt may run before pg-boss hands the job out again. */
  static leaseSeconds(environment: Environment): number {
    const rounds = Math.ceil(environment.PUSH_BATCH_SIZE / environment.PUSH_SINK_CONCURRENCY) + 1;
    return Math.ceil((environment.PUSH_ATTEMPT_TIMEOUT_MS * rounds + 5_000) / 1000);
  }

  /** Up to PUSH_BATCH_SIZE due jobs in one round trip (FOR UPDATE SKIP LOCKED: workers take disjoint ones). */
  async fetch(): Promise<DeliveryJob[]> {
    const boss = await this.started();
    return boss.fetch<DeliveryJobData>(QUEUE, { batchSize: this.environment.PUSH_BATCH_SIZE });
  }

  /** Settles the fetched attempts; a job that pg-boss has already handed out again is left alone. */
  async complete(jobs: DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const boss = await this.started();
    await boss.complete(
      QUEUE,
      jobs.map((job) => ({ id: job.id, retryCount: job.retryCount })),
    );
  }

  /**
   * Runs `handler` on batches of due jobs until shutdown. pg-boss fetches again at once after a
   * full batch (burst) and waits PUSH_POLL_INTERVAL_MS (at least pg-boss's 0.5 s) after a short one;
   * a batch whose handler throws is retried after the lease (RECOVERY).
   */
  async work(handler: WorkHandler<DeliveryJobData>): Promise<void> {
    const boss = await this.started();
    await boss.work<DeliveryJobData>(
      QUEUE,
      {
        batchSize: this.environment.PUSH_BATCH_SIZE,
        pollingIntervalSeconds: Math.max(0.5, this.environment.PUSH_POLL_INTERVAL_MS / 1000),
      },
      handler,
    );
  }

  async onModuleDestroy(): Promise<void> {
    const boss =
      this.boss ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    // Workers finish their batch (its outcomes are committed) before the database closes.
    await boss?.stop({
      graceful: true,
      close: true,
      timeout: DeliveryQueue.leaseSeconds(this.environment) * 1000,
    });
  }

  private started(): Promise<PgBoss> {
    if (this.boss) return Promise.resolve(this.boss);
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async start(): Promise<PgBoss> {
    // Loaded only when delivery starts: a CLI command or a gateway that does not deliver never
    // loads pg-boss (nor the OpenTelemetry API it imports).
    const { PgBoss, fromPglite } = await import('pg-boss');
    const environment = this.environment;
    const embedded = this.connection.embedded();
    const boss = new PgBoss({
      ...(embedded
        ? { db: fromPglite(embedded), backend: 'pglite' as const }
        : {
            connectionString: environment.DATABASE_URL,
            max: 4,
            application_name: 'mobile-identity-gateway-push',
          }),
      schema: 'pgboss',
      migrate: false,
      createSchema: false,
      schedule: false,
      supervise: true,
      // Expiry of a dead worker's leases runs in the monitor pass (one instance per interval):
      // 10 s keeps recovery well within a minute; pg-boss's default (60 s) would add up to a minute.
      superviseIntervalSeconds: 10,
      monitorIntervalSeconds: 10,
      reindex: false,
      ...(this.clock ? { clock: this.clock } : {}),
    });
    boss.on('error', (error: Error) => {
      this.logger.error(`delivery queue: ${error.message}`);
    });
    await boss.start();
    await boss.updateQueue(QUEUE, {
      ...RECOVERY,
      expireInSeconds: DeliveryQueue.leaseSeconds(environment),
    });
    this.boss = boss;
    return boss;
  }
}
