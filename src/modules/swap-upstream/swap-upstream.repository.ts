import { Injectable } from '@nestjs/common';
import { DatabaseConnection } from '../../common/database/database-connection.js';
import { DatabaseLock } from '../../common/database/database-locks.js';
import { PrismaService } from '../../common/database/prisma.service.js';
import type { Tx } from '../../common/database/prisma.service.js';

/** Client subscriptions of one number that wait for the operator's subscription. */
export interface WaitingSubscription {
  id: string;
  clientId: string;
  operatorId: string;
  phoneHash: string;
  phoneSealed: string;
  phoneKeyVersion: number;
}

export interface UpstreamRow {
  id: string;
  operatorId: string;
  phoneHash: string;
  phoneSealed: string;
  phoneKeyVersion: number;
  tokenSealed: string;
  tokenKeyVersion: number;
  upstreamId: string;
  status: 'active' | 'ended' | 'deleted';
}

export interface NewUpstream {
  id: string;
  operatorId: string;
  phoneHash: string;
  phoneSealed: string;
  phoneKeyVersion: number;
  tokenSealed: string;
  tokenKeyVersion: number;
  tokenExpiresAt: Date;
  upstreamId: string;
}

/**
 * The gateway's subscriptions at operators (push_upstream_subscription), the event ids they
 * received, and the links of client subscriptions (push_subscription) to them.
 */
@Injectable()
export class SwapUpstreamRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly connection: DatabaseConnection,
  ) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.transaction(work);
  }

  /**
   * Runs `work` while this instance holds the tick's session-level advisory lock (the tick makes
   * HTTP calls, so no transaction stays open for it); undefined when another instance holds it.
   */
  async withLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    const session = await this.connection.openSession();
    try {
      const rows = await session.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [DatabaseLock.SwapUpstream],
      );
      if (rows.at(0)?.locked !== true) return undefined;
      try {
        return await work();
      } finally {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [DatabaseLock.SwapUpstream]);
      }
    } finally {
      await session.release();
    }
  }

  /**
   * Live SIM subscriptions of these operators that neither are polled nor have an upstream
   * subscription yet (created for an operator that offers CAMARA subscriptions), oldest first.
   */
  listWaiting(operatorIds: string[], now: Date, limit: number): Promise<WaitingSubscription[]> {
    if (operatorIds.length === 0) return Promise.resolve([]);
    return this.prisma.client.$queryRaw<WaitingSubscription[]>`
      SELECT id::text AS "id", client_id AS "clientId", operator_id AS "operatorId", phone_hash AS "phoneHash",
             phone_sealed AS "phoneSealed", phone_key_version AS "phoneKeyVersion"
        FROM push_subscription
       WHERE operator_id = ANY(${operatorIds}::text[]) AND kind = 'sim' AND status = 'ACTIVATION_REQUESTED'
         AND next_poll_at IS NULL AND upstream_subscription_id IS NULL AND (expires_at IS NULL OR expires_at > ${now})
       ORDER BY created_at, id LIMIT ${limit}`;
  }

  findActiveFor(operatorId: string, phoneHash: string): Promise<{ id: string } | null> {
    return this.prisma.client.pushUpstreamSubscription.findFirst({
      where: { operatorId, kind: 'SIM', phoneHash, status: 'active' },
      select: { id: true },
    });
  }

  async insertActive(tx: Tx, row: NewUpstream, now: Date): Promise<void> {
    await tx.pushUpstreamSubscription.create({
      data: { ...row, kind: 'SIM', status: 'active', createdAt: now, updatedAt: now },
    });
  }

  /** The waiting subscriptions become ACTIVE with their events from `upstreamId`; swaps before `since` are not theirs. */
  async link(
    tx: Tx,
    subscriptionIds: string[],
    upstreamId: string,
    since: Date,
    now: Date,
  ): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      UPDATE push_subscription SET upstream_subscription_id = ${upstreamId}::uuid, status = 'ACTIVE',
             seen_change_at = COALESCE(seen_change_at, ${since}), updated_at = ${now}
       WHERE id = ANY(${subscriptionIds}::uuid[]) AND status = 'ACTIVATION_REQUESTED' AND upstream_subscription_id IS NULL
       RETURNING id::text`;
    return rows.map((row) => row.id);
  }

  /**
   * These live subscriptions are polled from now on (due at once). A waiting one is activated by
   * its first poll (the baseline); an active one keeps the date it has seen, so no swap the
   * operator already notified is sent again, and none after it is missed.
   */
  async fallBackToPolling(
    tx: Tx,
    where: { subscriptionIds: string[] } | { upstreamSubscriptionId: string },
    now: Date,
  ): Promise<string[]> {
    const rows =
      'subscriptionIds' in where
        ? await tx.$queryRaw<{ id: string }[]>`
            UPDATE push_subscription SET next_poll_at = ${now}, updated_at = ${now}
             WHERE id = ANY(${where.subscriptionIds}::uuid[]) AND status IN ('ACTIVATION_REQUESTED', 'ACTIVE') AND next_poll_at IS NULL
             RETURNING id::text`
        : await tx.$queryRaw<{ id: string }[]>`
            UPDATE push_subscription SET next_poll_at = ${now}, updated_at = ${now}
             WHERE upstream_subscription_id = ${where.upstreamSubscriptionId}::uuid AND status IN ('ACTIVATION_REQUESTED', 'ACTIVE') AND next_poll_at IS NULL
             RETURNING id::text`;
    return rows.map((row) => row.id);
  }

  /** Active upstream subscriptions no live client subscription depends on any more. */
  listUnused(limit: number): Promise<UpstreamRow[]> {
    return this.prisma.client.$queryRaw<UpstreamRow[]>`
      SELECT u.id::text AS "id", u.operator_id AS "operatorId", u.phone_hash AS "phoneHash", u.phone_sealed AS "phoneSealed",
             u.phone_key_version AS "phoneKeyVersion", u.token_sealed AS "tokenSealed", u.token_key_version AS "tokenKeyVersion",
             u.upstream_id AS "upstreamId", u.status
        FROM push_upstream_subscription u
       WHERE u.status = 'active'
         AND NOT EXISTS (SELECT 1 FROM push_subscription s WHERE s.upstream_subscription_id = u.id AND s.status IN ('ACTIVATION_REQUESTED', 'ACTIVE'))
       ORDER BY u.updated_at LIMIT ${limit}`;
  }

  find(id: string): Promise<UpstreamRow | null> {
    return this.prisma.client.pushUpstreamSubscription.findUnique({
      where: { id },
      select: {
        id: true,
        operatorId: true,
        phoneHash: true,
        phoneSealed: true,
        phoneKeyVersion: true,
        tokenSealed: true,
        tokenKeyVersion: true,
        upstreamId: true,
        status: true,
      },
    }) as Promise<UpstreamRow | null>;
  }

  /** Locks the row for the transaction that handles one notification, so a concurrent repeat waits and then sees it. */
  async lockStatus(tx: Tx, id: string): Promise<UpstreamRow['status'] | undefined> {
    const rows = await tx.$queryRaw<
      { status: UpstreamRow['status'] }[]
    >`SELECT status FROM push_upstream_subscription WHERE id = ${id}::uuid FOR UPDATE`;
    return rows[0]?.status;
  }

  /** False when this CloudEvent id was already received on this subscription. */
  async recordEvent(
    tx: Tx,
    upstreamSubscriptionId: string,
    eventId: string,
    type: string,
    now: Date,
  ): Promise<boolean> {
    const inserted = await tx.$executeRaw`
      INSERT INTO push_upstream_event (upstream_subscription_id, event_id, type, received_at)
      VALUES (${upstreamSubscriptionId}::uuid, ${eventId}, ${type}, ${now}) ON CONFLICT DO NOTHING`;
    return inserted === 1;
  }

  /**
   * A swap the operator notified: every live subscription to the number, polled ones included,
   * remembers its date, so a later retrieve-date poll (a fallback) does not report it again. Its
   * own statement: the notifications' unit updates these rows too, and one statement may not
   * update a row twice.
   */
  async rememberChange(tx: Tx, phoneHash: string, changedAt: Date, now: Date): Promise<void> {
    await tx.$executeRaw`UPDATE push_subscription SET seen_change_at = GREATEST(COALESCE(seen_change_at, ${changedAt}), ${changedAt}), updated_at = ${now}
      WHERE phone_hash = ${phoneHash} AND kind = 'sim' AND status IN ('ACTIVATION_REQUESTED', 'ACTIVE')`;
  }

  async end(
    tx: Tx,
    id: string,
    status: 'ended' | 'deleted',
    reason: string,
    now: Date,
  ): Promise<void> {
    await tx.$executeRaw`UPDATE push_upstream_subscription SET status = ${status}, reason = ${reason}, updated_at = ${now}
      WHERE id = ${id}::uuid AND status = 'active'`;
  }
}
