import { Injectable } from '@nestjs/common';
import { DatabaseConnection } from '../../common/database/database-connection.js';
import { PrismaService, type Tx } from '../../common/database/prisma.service.js';
import type { UnitWriteKind } from '../audit/audit.service.js';
import type {
  PushDelivery,
  PushDeliveryAttempt,
  PushSigningKey,
  PushSubscription,
} from '../../generated/prisma/client.js';
import { DatabaseLock } from '../../common/database/database-locks.js';

export type SubscriptionRow = PushSubscription;
export type DeliveryRow = PushDelivery;
export type AttemptRow = PushDeliveryAttempt;
export type SigningKeyRow = PushSigningKey;
export type SwapKindValue = 'sim' | 'device';

/** CAMARA statuses in which a subscription still produces events. */
const LIVE = `('ACTIVATION_REQUESTED', 'ACTIVE')`;

/**
 * The notifications of one swap, written inside the unit of work of the change that caused it
 * (the outbox): one `swapped` event per ACTIVE subscription to the number, plus `subscription-ended`
 * for those that reach their maximum number of events with it. It reads the subscriptions in the
 * statement's snapshot, the same one `SWAP_EVENT_COUNTS` updates, so both agree.
 */
export const SWAP_NOTIFICATIONS: UnitWriteKind = {
  name: 'push.swap_notification',
  columns:
    'phone_hash text, kind text, swapped_type text, ended_type text, occurred_at timestamptz, at timestamptz',
  insert: (
    rows,
  ) => `INSERT INTO push_delivery (id, subscription_id, client_id, type, termination_reason, occurred_at, next_attempt_at, created_at)
    SELECT gen_random_uuid(), s.id, s.client_id, e.type, e.reason, CASE WHEN e.reason IS NULL THEN r.occurred_at ELSE r.at END, r.at, r.at
      FROM ${rows} r
      JOIN push_subscription s ON s.phone_hash = r.phone_hash AND s.kind = r.kind::push_swap_kind AND s.status = 'ACTIVE'
        AND (s.expires_at IS NULL OR s.expires_at > r.at)
      CROSS JOIN LATERAL (VALUES (r.swapped_type, NULL::text), (r.ended_type, 'MAX_EVENTS_REACHED')) AS e(type, reason)
     WHERE e.reason IS NULL OR s.max_events = s.event_count + 1`,
  // Two swaps of one number in one statement would both read the same event count.
  key: (row) => `${String(row.phone_hash)}:${String(row.kind)}`,
};

/** Counts the event on each subscription it goes to; the last one allowed expires the subscription. */
export const SWAP_EVENT_COUNTS: UnitWriteKind = {
  name: 'push.swap_event_count',
  columns: 'phone_hash text, kind text, at timestamptz',
  insert: (
    rows,
  ) => `UPDATE push_subscription s SET event_count = s.event_count + 1, updated_at = r.at,
      status = CASE WHEN s.max_events = s.event_count + 1 THEN 'EXPIRED'::push_subscription_status ELSE s.status END,
      termination_reason = CASE WHEN s.max_events = s.event_count + 1 THEN 'MAX_EVENTS_REACHED' ELSE s.termination_reason END
      FROM ${rows} r
     WHERE s.phone_hash = r.phone_hash AND s.kind = r.kind::push_swap_kind AND s.status = 'ACTIVE'
       AND (s.expires_at IS NULL OR s.expires_at > r.at)`,
  key: (row) => `${String(row.phone_hash)}:${String(row.kind)}`,
};

export interface NewSubscription {
  id: string;
  clientId: string;
  kind: SwapKindValue;
  sink: string;
  types: string[];
  phoneHash: string;
  phoneMasked: string;
  phoneSealed: string;
  phoneKeyVersion: number;
  credentialSealed: string | null;
  credentialKeyVersion: number | null;
  accessTokenExpiresAt: Date | null;
  operatorId: string;
  status: 'ACTIVATION_REQUESTED' | 'ACTIVE';
  maxEvents: number | null;
  startsAt: Date;
  expiresAt: Date | null;
  /** Set for subscriptions watched by polling (`camara` operators): the first poll's due time. */
  nextPollAt: Date | null;
}

export interface NewDelivery {
  subscriptionId: string;
  clientId: string;
  type: string;
  terminationReason: string | null;
  occurredAt: Date;
}

/** A delivery claimed by a worker, with what it needs to build and send the event. */
export interface ClaimedDelivery {
  id: string;
  /** The pg-boss job that claimed it. */
  jobId: string;
  subscriptionId: string;
  clientId: string;
  type: string;
  terminationReason: string | null;
  occurredAt: Date;
  createdAt: Date;
  attempt: number;
  sink: string;
  kind: SwapKindValue;
  phoneSealed: string;
  phoneKeyVersion: number;
  phoneHash: string;
  credentialSealed: string | null;
  credentialKeyVersion: number | null;
  subscriptionStatus: string;
}

export interface AttemptResult {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  httpStatus: number | null;
  latencyMs: number;
  /** delivered | retry | gone | dead */
  outcome: 'delivered' | 'retry' | 'gone' | 'dead';
  error: string | null;
  /** When `retry`: the next attempt's due time. */
  nextAttemptAt?: Date;
  subscriptionId: string;
}

/** What one attempt writes, as rows for the unit of work that also appends its audit event. */
export const ATTEMPT_LOG: UnitWriteKind = {
  name: 'push.delivery_attempt',
  columns:
    'delivery_id uuid, attempt integer, started_at timestamptz, http_status integer, latency_ms integer, outcome text, error text',
  insert: (
    rows,
  ) => `INSERT INTO push_delivery_attempt (delivery_id, attempt, started_at, http_status, latency_ms, outcome, error)
    SELECT delivery_id, attempt, started_at, http_status, latency_ms, outcome, error FROM ${rows}
    ON CONFLICT (delivery_id, attempt) DO NOTHING`,
  key: (row) => `${String(row.delivery_id)}:${String(row.attempt)}`,
};

/**
 * The delivery's new state after an attempt. Only the attempt that holds the claim moves it
 * (`attempts` still equals its number), so a late answer after a lease expired changes nothing.
 * A retry clears `job_id`: the enqueue trigger then writes the next attempt's pg-boss job, due at
 * `next_attempt_at`, in this same statement (so the attempt's record and its retry commit together).
 */
export const DELIVERY_STATE: UnitWriteKind = {
  name: 'push.delivery_state',
  columns:
    'id uuid, attempt integer, status text, next_attempt_at timestamptz, http_status integer, error text, at timestamptz',
  insert: (
    rows,
  ) => `UPDATE push_delivery d SET status = r.status::push_delivery_status, next_attempt_at = COALESCE(r.next_attempt_at, d.next_attempt_at),
      last_http_status = r.http_status, last_error = r.error,
      job_id = CASE WHEN r.status = 'pending' THEN NULL ELSE d.job_id END,
      delivered_at = CASE WHEN r.status = 'delivered' THEN r.at ELSE d.delivered_at END
      FROM ${rows} r WHERE d.id = r.id AND d.attempts = r.attempt AND d.status = 'pending'`,
  key: (row) => String(row.id),
};

/** A 410 from the sink: the subscription ends (DELETED, the receiver asked to stop) and its pending events are dropped. */
export const SUBSCRIPTION_GONE: UnitWriteKind = {
  name: 'push.subscription_gone',
  columns: 'subscription_id uuid, at timestamptz',
  insert: (
    rows,
  ) => `UPDATE push_subscription s SET status = 'DELETED', termination_reason = 'SINK_GONE', updated_at = r.at
      FROM ${rows} r WHERE s.id = r.subscription_id AND s.status IN ${LIVE}`,
  key: (row) => String(row.subscription_id),
};

export const GONE_DELIVERIES: UnitWriteKind = {
  name: 'push.gone_deliveries',
  columns: 'subscription_id uuid, delivery_id uuid, at timestamptz',
  insert: (
    rows,
  ) => `UPDATE push_delivery d SET status = 'cancelled', last_error = 'subscription ended: the sink answered 410'
      FROM ${rows} r WHERE d.subscription_id = r.subscription_id AND d.id <> r.delivery_id AND d.status = 'pending'`,
  key: (row) => String(row.subscription_id),
};

/** A subscription whose number is due for a retrieve-date poll (`camara` operators). */
export interface DuePoll {
  id: string;
  clientId: string;
  kind: SwapKindValue;
  operatorId: string;
  phoneHash: string;
  phoneSealed: string;
  phoneKeyVersion: number;
}

/** A polled subscription, locked for the transaction that records the poll. */
export interface PolledSubscription {
  status: string;
  polledAt: Date | null;
  seenChangeAt: Date | null;
  eventCount: number;
  maxEvents: number | null;
  expiresAt: Date | null;
}

@Injectable()
export class PushRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly connection: DatabaseConnection,
  ) {}

  transaction<T>(work: (tx: Tx) => Promise<T>, timeoutMs?: number): Promise<T> {
    return this.prisma.transaction(work, timeoutMs);
  }

  /** Inserts unless the client already has a live subscription for this number, kind and sink (then false). */
  async insertSubscriptionIfNew(tx: Tx, row: NewSubscription, now: Date): Promise<boolean> {
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO push_subscription (id, client_id, kind, sink, types, phone_hash, phone_masked, phone_sealed, phone_key_version,
        credential_sealed, credential_key_version, access_token_expires_at, operator_id, status, max_events, starts_at, expires_at,
        next_poll_at, created_at, updated_at)
      VALUES (${row.id}::uuid, ${row.clientId}, ${row.kind}::push_swap_kind, ${row.sink}, ${row.types}::text[], ${row.phoneHash},
        ${row.phoneMasked}, ${row.phoneSealed}, ${row.phoneKeyVersion}, ${row.credentialSealed}, ${row.credentialKeyVersion},
        ${row.accessTokenExpiresAt}, ${row.operatorId}, ${row.status}::push_subscription_status, ${row.maxEvents},
        ${row.startsAt}, ${row.expiresAt}, ${row.nextPollAt}, ${now}, ${now})
      ON CONFLICT (client_id, kind, phone_hash, sink) WHERE status IN ('ACTIVATION_REQUESTED', 'ACTIVE') DO NOTHING
      RETURNING id`;
    return inserted.length === 1;
  }

  /** Scoped to the client: another client's id finds nothing. */
  findOfClient(id: string, clientId: string, kind: SwapKindValue): Promise<SubscriptionRow | null> {
    return this.prisma.client.pushSubscription.findFirst({
      where: { id, clientId, kind: kind === 'sim' ? 'SIM' : 'DEVICE' },
    });
  }

  listOfClient(clientId: string, kind: SwapKindValue): Promise<SubscriptionRow[]> {
    return this.prisma.client.pushSubscription.findMany({
      where: { clientId, kind: kind === 'sim' ? 'SIM' : 'DEVICE' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: 1_000,
    });
  }

  /** Marks the client's subscription DELETED; answers its status before, or undefined when there is none to delete. */
  async markDeleted(
    tx: Tx,
    id: string,
    clientId: string,
    kind: SwapKindValue,
    now: Date,
  ): Promise<string | undefined> {
    const rows = await tx.$queryRaw<{ before: string }[]>`
      UPDATE push_subscription s SET status = 'DELETED', termination_reason = COALESCE(s.termination_reason, 'SUBSCRIPTION_DELETED'), updated_at = ${now}
        FROM (SELECT id, status::text AS before FROM push_subscription WHERE id = ${id}::uuid AND client_id = ${clientId}
                AND kind = ${kind}::push_swap_kind AND status <> 'DELETED' FOR UPDATE) old
       WHERE s.id = old.id RETURNING old.before`;
    return rows[0]?.before;
  }

  async insertDelivery(tx: Tx, delivery: NewDelivery, now: Date): Promise<string> {
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO push_delivery (id, subscription_id, client_id, type, termination_reason, occurred_at, next_attempt_at, created_at)
      VALUES (gen_random_uuid(), ${delivery.subscriptionId}::uuid, ${delivery.clientId}, ${delivery.type}, ${delivery.terminationReason},
        ${delivery.occurredAt}, ${now}, ${now})
      RETURNING id::text`;
    return row.id;
  }

  /**
   * Live subscriptions whose end time has passed, or whose sink token expires at or before
   * `tokenEndsBefore` (a lead ahead of `now`, so their last event still carries a valid token);
   * at most `limit`, locked for this transaction.
   */
  lockExpired(
    tx: Tx,
    now: Date,
    tokenEndsBefore: Date,
    limit: number,
  ): Promise<{ id: string; client_id: string; kind: SwapKindValue; reason: string }[]> {
    return tx.$queryRaw`
      SELECT id::text, client_id, kind::text AS kind,
             CASE WHEN expires_at IS NOT NULL AND expires_at <= ${now} THEN 'SUBSCRIPTION_EXPIRED' ELSE 'ACCESS_TOKEN_EXPIRED' END AS reason
        FROM push_subscription
       WHERE status IN ('ACTIVATION_REQUESTED', 'ACTIVE')
         AND ((expires_at IS NOT NULL AND expires_at <= ${now}) OR (access_token_expires_at IS NOT NULL AND access_token_expires_at <= ${tokenEndsBefore}))
       ORDER BY expires_at NULLS LAST LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  }

  async endSubscription(
    tx: Tx,
    id: string,
    status: 'EXPIRED' | 'INACTIVE',
    reason: string,
    now: Date,
  ): Promise<void> {
    await tx.$executeRaw`UPDATE push_subscription SET status = ${status}::push_subscription_status, termination_reason = ${reason}, updated_at = ${now}
      WHERE id = ${id}::uuid`;
  }

  /**
   * Claims the events of fetched pg-boss jobs: each one counts an attempt, but only while the job
   * is still the event's current one (`job_id`) and the event is pending. A stale job (its attempt
   * was recorded, then the worker died before completing it; or a replay replaced it) claims
   * nothing. A job that pg-boss hands out again after its lease (the worker died mid-attempt) is
   * still current, so its event is attempted again: at least once.
   */
  async claimJobs(jobs: { deliveryId: string; jobId: string }[]): Promise<ClaimedDelivery[]> {
    if (jobs.length === 0) return [];
    return this.prisma.client.$queryRaw<ClaimedDelivery[]>`
      WITH claimed AS (
        UPDATE push_delivery d SET attempts = d.attempts + 1
          FROM unnest(${jobs.map((job) => job.deliveryId)}::uuid[], ${jobs.map((job) => job.jobId)}::uuid[]) AS j(delivery_id, job_id)
         WHERE d.id = j.delivery_id AND d.job_id = j.job_id AND d.status = 'pending'
        RETURNING d.id, d.job_id, d.subscription_id, d.client_id, d.type, d.termination_reason, d.occurred_at, d.created_at, d.attempts)
      SELECT c.id::text AS "id", c.job_id::text AS "jobId", c.subscription_id::text AS "subscriptionId", c.client_id AS "clientId", c.type,
             c.termination_reason AS "terminationReason", c.occurred_at AS "occurredAt", c.created_at AS "createdAt",
             c.attempts AS "attempt", s.sink, s.kind::text AS kind, s.phone_sealed AS "phoneSealed",
             s.phone_key_version AS "phoneKeyVersion", s.phone_hash AS "phoneHash", s.credential_sealed AS "credentialSealed",
             s.credential_key_version AS "credentialKeyVersion", s.status::text AS "subscriptionStatus"
        FROM claimed c JOIN push_subscription s ON s.id = c.subscription_id`;
  }

  /**
   * Runs `work` while this instance holds the poll's session-level advisory lock, on a connection
   * of its own (the tick makes HTTP calls, so no transaction stays open for it); undefined when
   * another instance holds it. A process that dies drops its connection, and with it the lock.
   */
  async withPollLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    const session = await this.connection.openSession();
    try {
      const rows = await session.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [DatabaseLock.SwapPoll],
      );
      if (rows.at(0)?.locked !== true) return undefined;
      try {
        return await work();
      } finally {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [DatabaseLock.SwapPoll]);
      }
    } finally {
      await session.release();
    }
  }

  /** Live polled subscriptions due at `now`, the longest-waiting first, at most `perOperator` of each operator. */
  listDuePolls(now: Date, perOperator: number): Promise<DuePoll[]> {
    return this.prisma.client.$queryRaw<DuePoll[]>`
      SELECT id::text AS "id", client_id AS "clientId", kind::text AS "kind", operator_id AS "operatorId", phone_hash AS "phoneHash",
             phone_sealed AS "phoneSealed", phone_key_version AS "phoneKeyVersion"
        FROM (SELECT s.*, row_number() OVER (PARTITION BY s.operator_id ORDER BY s.next_poll_at, s.id) AS rank
                FROM push_subscription s
               WHERE s.next_poll_at IS NOT NULL AND s.next_poll_at <= ${now} AND s.status IN ('ACTIVATION_REQUESTED', 'ACTIVE')
                 AND (s.expires_at IS NULL OR s.expires_at > ${now})) due
       WHERE rank <= ${perOperator}
       ORDER BY operator_id, rank`;
  }

  async lockForPoll(tx: Tx, id: string): Promise<PolledSubscription | undefined> {
    const rows = await tx.$queryRaw<PolledSubscription[]>`
      SELECT status::text AS "status", polled_at AS "polledAt", seen_change_at AS "seenChangeAt", event_count AS "eventCount",
             max_events AS "maxEvents", expires_at AS "expiresAt"
        FROM push_subscription WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0];
  }

  /** The outcome of a successful poll: what it saw, when it is due again, and the new status and event count. */
  async markPolled(
    tx: Tx,
    id: string,
    poll: {
      seenChangeAt: Date | null;
      nextPollAt: Date;
      status: 'ACTIVE' | 'EXPIRED';
      events: number;
      terminationReason: string | null;
    },
    now: Date,
  ): Promise<void> {
    await tx.$executeRaw`UPDATE push_subscription SET polled_at = ${now}, seen_change_at = ${poll.seenChangeAt}, next_poll_at = ${poll.nextPollAt},
        status = ${poll.status}::push_subscription_status, event_count = event_count + ${poll.events},
        termination_reason = COALESCE(${poll.terminationReason}, termination_reason), updated_at = ${now}
      WHERE id = ${id}::uuid`;
  }

  /** A failed poll: due again at `now`, behind the subscriptions that have waited longer. */
  async deferPolls(ids: string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.prisma.client.$executeRaw`UPDATE push_subscription SET next_poll_at = ${now}
      WHERE id = ANY(${ids}::uuid[]) AND next_poll_at IS NOT NULL AND status IN ('ACTIVATION_REQUESTED', 'ACTIVE')`;
  }

  /**
   * Signing keys of the client that still sign, newest first: the current key (no retirement) and
   * then the retiring ones, latest retirement first; creation time only breaks ties, since two
   * rotations can share a timestamp.
   */
  signingKeysOf(clientId: string, now: Date): Promise<SigningKeyRow[]> {
    return this.prisma.client.pushSigningKey.findMany({
      where: { clientId, OR: [{ retiresAt: null }, { retiresAt: { gt: now } }] },
      orderBy: [
        { retiresAt: { sort: 'desc', nulls: 'first' } },
        { createdAt: 'desc' },
        { id: 'desc' },
      ],
    });
  }

  /** Adds a key and schedules the retirement of the client's other signing keys. */
  async rotateSigningKey(
    tx: Tx,
    row: { id: string; clientId: string; secretSealed: string; secretKeyVersion: number },
    retireOthersAt: Date,
    now: Date,
  ): Promise<void> {
    await tx.pushSigningKey.updateMany({
      where: {
        clientId: row.clientId,
        OR: [{ retiresAt: null }, { retiresAt: { gt: retireOthersAt } }],
      },
      data: { retiresAt: retireOthersAt },
    });
    await tx.pushSigningKey.create({ data: { ...row, createdAt: now } });
  }

  /** A first key for a client that has none (first delivery); concurrent callers keep one. */
  async insertFirstSigningKey(
    row: { id: string; clientId: string; secretSealed: string; secretKeyVersion: number },
    now: Date,
  ): Promise<void> {
    await this.prisma.client.$executeRaw`
      INSERT INTO push_signing_key (id, client_id, secret_sealed, secret_key_version, created_at)
      SELECT ${row.id}, ${row.clientId}, ${row.secretSealed}, ${row.secretKeyVersion}, ${now}
       WHERE NOT EXISTS (SELECT 1 FROM push_signing_key WHERE client_id = ${row.clientId} AND (retires_at IS NULL OR retires_at > ${now}))`;
  }

  findDelivery(
    id: string,
  ): Promise<(DeliveryRow & { attemptLog: AttemptRow[]; subscription: SubscriptionRow }) | null> {
    return this.prisma.client.pushDelivery.findUnique({
      where: { id },
      include: { attemptLog: { orderBy: { attempt: 'asc' } }, subscription: true },
    });
  }

  listDeliveries(
    filter: { status?: 'PENDING' | 'DELIVERED' | 'DEAD' | 'CANCELLED'; clientId?: string },
    limit: number,
    after?: { createdAt: Date; id: string },
  ): Promise<DeliveryRow[]> {
    return this.prisma.client.pushDelivery.findMany({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.clientId ? { clientId: filter.clientId } : {}),
        ...(after
          ? {
              OR: [
                { createdAt: { lt: after.createdAt } },
                { createdAt: after.createdAt, id: { lt: after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  /**
   * A dead (or cancelled) delivery becomes due again, with a fresh attempt budget; false when it is
   * not replayable. Its new pg-boss job is written by the enqueue trigger, in `tx`.
   */
  async replay(
    tx: Tx,
    id: string,
    now: Date,
  ): Promise<{ clientId: string; subscriptionId: string; attempts: number } | undefined> {
    const rows = await tx.$queryRaw<
      { client_id: string; subscription_id: string; attempts: number }[]
    >`
      UPDATE push_delivery SET status = 'pending', next_attempt_at = ${now}, last_error = NULL, job_id = NULL
       WHERE id = ${id}::uuid AND status IN ('dead', 'cancelled')
       RETURNING client_id, subscription_id::text, attempts`;
    const row = rows.at(0);
    return row
      ? { clientId: row.client_id, subscriptionId: row.subscription_id, attempts: row.attempts }
      : undefined;
  }

  /** Counters for the bench and the admin overview. */
  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.prisma.client.$queryRaw<{ status: string; n: number }[]>`
      SELECT status::text, count(*)::integer AS n FROM push_delivery GROUP BY status`;
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }
}
