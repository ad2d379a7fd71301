import { Injectable } from '@nestjs/common';
import { DatabaseConnection, type SqlSession } from '../../common/database/database-connection.js';
import { PrismaService, type Prisma } from '../../common/database/prisma.service.js';
import { contentDigestSql, isoTimeSql, type AuditRecord } from './audit-chain.js';
import { RECORD_COLUMNS, whereClause, type AuditCursor, type AuditFilter } from './audit-filter.js';
import {
  appendUnitsParameters,
  appendUnitsSql,
  claimIdempotencyInsert,
  type PreparedUnit,
  type UnitOutcome,
} from './unit-of-work.js';

export type Tx = Prisma.TransactionClient;

export interface ChainHead {
  position: bigint;
  hash: string;
}

export interface PartitionInfo {
  name: string;
  from: Date;
  to: Date;
}

export type SummaryGroup = 'day' | 'client' | 'action' | 'operator';

export interface SummaryRow {
  key: string | null;
  total: number;
  successes: number;
  failures: number;
  verifications: number;
  verified: number;
  simSwapChecks: number;
  simSwapPositives: number;
  latencyP50: number | null;
  latencyP95: number | null;
}

type Row = Record<string, unknown>;

const json = (value: unknown): unknown =>
  typeof value === 'string' ? JSON.parse(value) : (value ?? null);
const intOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined
    ? null
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

/** A row read with RECORD_COLUMNS (from pg or from Prisma's raw queries) as an AuditRecord. */
function toRecord(row: Row): AuditRecord {
  return {
    id: String(row.id),
    occurredAt: String(row.occurred_at),
    correlationId: textOrNull(row.correlation_id),
    clientId: textOrNull(row.client_id),
    credentialKind: textOrNull(row.credential_kind),
    credentialFingerprint: textOrNull(row.credential_fingerprint),
    actorType: String(row.actor_type),
    actorId: textOrNull(row.actor_id),
    action: String(row.action),
    contract: String(row.contract),
    serviceType: textOrNull(row.service_type),
    operatorId: textOrNull(row.operator_id),
    phoneHash: textOrNull(row.phone_hash),
    phoneMasked: textOrNull(row.phone_masked),
    outcome: String(row.outcome),
    verdict: json(row.verdict),
    httpStatus: intOrNull(row.http_status),
    errorCode: textOrNull(row.error_code),
    latencyMs: intOrNull(row.latency_ms),
    sourceIp: textOrNull(row.source_ip),
    userAgent: textOrNull(row.user_agent),
    upstream: json(row.upstream),
    detail: json(row.detail),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}

/** One link of a format-2 chain as the verifier reads it: the content digest is recomputed by the database. */
export interface ChainLink {
  id: string;
  prevHash: string;
  hash: string;
  occurredAt: string;
  digest: string;
}

export interface RetentionEventRow {
  id: string;
  occurredAt: Date;
  actorType: string;
  detail: Record<string, unknown> | null;
  /** The policy's retention when the event was written (null: none in force). */
  retentionDays: number | null;
}

/**
 * Audit persistence. Writes go through Prisma (so they can join a caller's transaction); bulk
 * reads (verification, export) use a dedicated SQL session, avoiding Prisma's per-row cost.
 */
@Injectable()
export class AuditRepository {
  /** The batch statement for each combination of write kinds seen (there are few). */
  private readonly statements = new Map<string, string>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly connection: DatabaseConnection,
  ) {}

  transaction<T>(work: (tx: Tx) => Promise<T>, timeoutMs?: number): Promise<T> {
    return this.prisma.transaction(work, timeoutMs);
  }

  /** Takes and releases the chain-head lock, waiting at most `timeoutMs`; rejects when it cannot. */
  async probeHeadLock(timeoutMs: number): Promise<void> {
    await this.prisma.root.$transaction([
      this.prisma.root.$executeRawUnsafe(
        `SET LOCAL lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`,
      ),
      this.prisma.root.$queryRawUnsafe('SELECT 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE'),
    ]);
  }

  /**
   * Commits a batch of units in one statement (see `appendUnitsSql`): their claims, writes and
   * audit events, under the chain-head lock for that statement only. Inside `tx` it joins the
   * caller's transaction, which should then commit promptly (it holds the head).
   */
  /**
   * Claims an idempotency key as the first statement of `tx` (the unit's later statement stores
   * the answer). A concurrent claim of the same key waits here until the first transaction ends.
   */
  async claimIdempotency(
    claim: { scope: string; key: string; digest: string; createdAt: Date; expiresAt: Date },
    tx: Tx,
  ): Promise<boolean> {
    const rows = await tx.$queryRawUnsafe<{ scope: string }[]>(
      claimIdempotencyInsert(
        '(SELECT $1::text, $2::text, $3::text, $4::timestamptz, $5::timestamptz)',
      ),
      claim.scope,
      claim.key,
      claim.digest,
      claim.createdAt.toISOString(),
      claim.expiresAt.toISOString(),
    );
    return rows.length > 0;
  }

  async appendUnits(units: readonly PreparedUnit[], now: Date, tx?: Tx): Promise<UnitOutcome[]> {
    const kinds = [...new Set(units.flatMap((unit) => unit.writes.map((write) => write.kind)))];
    const signature = kinds.map((kind) => kind.name).join(',');
    let sql = this.statements.get(signature);
    if (!sql) {
      sql = appendUnitsSql(kinds);
      this.statements.set(signature, sql);
    }
    const rows = await (tx ?? this.prisma.root).$queryRawUnsafe<
      { o: number | bigint; v: UnitOutcome }[]
    >(sql, ...appendUnitsParameters(units, kinds, now));
    const outcomes: UnitOutcome[] = new Array<UnitOutcome>(units.length);
    for (const row of rows) outcomes[Number(row.o)] = row.v;
    return outcomes;
  }

  async readHead(): Promise<ChainHead> {
    const [head] = await this.prisma.client.$queryRawUnsafe<{ position: string; hash: string }[]>(
      'SELECT position::text AS position, hash FROM audit_chain_head WHERE id = 1',
    );
    return { position: BigInt(head.position), hash: head.hash };
  }

  async findPage(
    filter: AuditFilter,
    cursor: AuditCursor | undefined,
    limit: number,
  ): Promise<AuditRecord[]> {
    const where = whereClause(filter, cursor);
    const rows = await this.prisma.client.$queryRawUnsafe<Row[]>(
      `SELECT ${RECORD_COLUMNS} FROM audit_event ${where.sql} ORDER BY audit_event.occurred_at DESC, audit_event.id DESC LIMIT ${Math.trunc(limit)}`,
      ...where.params,
    );
    return rows.map(toRecord);
  }

  /** How many events the filter matches (for a progress bar's total: one scan, read before exporting). */
  async countFiltered(filter: AuditFilter): Promise<number> {
    const where = whereClause(filter);
    const row = (
      await this.prisma.client.$queryRawUnsafe<{ n: string }[]>(
        `SELECT count(*)::text AS n FROM audit_event ${where.sql}`,
        ...where.params,
      )
    ).at(0);
    return Number(row?.n ?? 0);
  }

  async findById(id: string): Promise<AuditRecord | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<Row[]>(
      `SELECT ${RECORD_COLUMNS} FROM audit_event WHERE id = $1::bigint`,
      id,
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Newest first, in pages of `chunk` rows on a dedicated connection: memory stays bounded
   * whatever the total (at most two pages). The next page is requested while the caller formats
   * the current one, so the database and Node work at the same time.
   */
  async *streamFiltered(filter: AuditFilter, chunk = 5_000): AsyncGenerator<AuditRecord[]> {
    const session = await this.connection.openSession();
    const fetch = (cursor: AuditCursor | undefined): Promise<Row[]> => {
      const where = whereClause(filter, cursor);
      return session.query<Row>(
        `SELECT ${RECORD_COLUMNS} FROM audit_event ${where.sql} ORDER BY audit_event.occurred_at DESC, audit_event.id DESC LIMIT ${chunk}`,
        where.params,
      );
    };
    let pending: Promise<Row[]> | undefined;
    try {
      pending = fetch(undefined);
      for (;;) {
        const rows = await pending;
        pending = undefined;
        if (rows.length === 0) return;
        const records = rows.map(toRecord);
        if (rows.length === chunk) {
          const last = records[records.length - 1];
          pending = fetch({ occurredAt: last.occurredAt, id: last.id });
        }
        yield records;
        if (!pending) return;
      }
    } finally {
      // A query still in flight must finish before its connection closes.
      await pending?.catch(() => undefined);
      await session.release();
    }
  }

  /** Format-1 events (whole rows, hashed in Node) from `afterId` up to `throughId`, in chain order. */
  streamChainV1(afterId: bigint, throughId: bigint, chunk = 20_000): AsyncGenerator<AuditRecord[]> {
    return this.streamInChunks(
      afterId,
      throughId,
      chunk,
      (limit) =>
        `SELECT ${RECORD_COLUMNS} FROM audit_event WHERE id > $1::bigint AND id <= $2::bigint ORDER BY audit_event.id LIMIT ${limit}`,
      toRecord,
    );
  }

  /**
   * Format-2 links from `afterId` up to `throughId`, in chain order: each row's stored hashes,
   * its time, and its content digest recomputed by the database from the stored columns.
   */
  streamLinks(afterId: bigint, throughId: bigint, chunk = 50_000): AsyncGenerator<ChainLink[]> {
    return this.streamInChunks(
      afterId,
      throughId,
      chunk,
      (limit) =>
        `SELECT e.id::text AS id, e.prev_hash, e.hash, ${isoTimeSql('e.occurred_at')} AS at, ${contentDigestSql('e')} AS digest
           FROM audit_event e WHERE e.id > $1::bigint AND e.id <= $2::bigint ORDER BY e.id LIMIT ${limit}`,
      (row) => ({
        id: String(row.id),
        prevHash: String(row.prev_hash),
        hash: String(row.hash),
        occurredAt: String(row.at),
        digest: String(row.digest),
      }),
    );
  }

  /**
   * Rows in chain order, in chunks on a dedicated connection; the next chunk is already requested
   * while the caller works on the current one, so the database and Node work at the same time.
   */
  private async *streamInChunks<T>(
    afterId: bigint,
    throughId: bigint,
    chunk: number,
    query: (limit: number) => string,
    map: (row: Row) => T,
  ): AsyncGenerator<T[]> {
    if (afterId >= throughId) return;
    const session: SqlSession = await this.connection.openSession();
    const sql = query(chunk);
    const fetch = (after: string): Promise<Row[]> =>
      session.query<Row>(sql, [after, throughId.toString()]);
    let pending: Promise<Row[]> | undefined;
    try {
      pending = fetch(afterId.toString());
      for (;;) {
        const rows = await pending;
        pending = undefined;
        if (rows.length === 0) return;
        const last = String(rows[rows.length - 1].id);
        if (rows.length === chunk && BigInt(last) < throughId) pending = fetch(last);
        yield rows.map(map);
        if (!pending) return;
      }
    } finally {
      // A query still in flight must finish before its connection closes.
      await pending?.catch(() => undefined);
      await session.release();
    }
  }

  /** Where chain format 2 starts (events before it are format 1). */
  async formatTwoFrom(): Promise<bigint> {
    const row = (
      await this.prisma.client.$queryRawUnsafe<{ from_position: string | null }[]>(
        'SELECT from_position::text AS from_position FROM audit_chain_epoch WHERE version = 2',
      )
    ).at(0);
    return row?.from_position ? BigInt(row.from_position) : 1n;
  }

  /** Every retention event in the chain, with the retention the policy prescribed when it was written. */
  async listRetentionEvents(): Promise<RetentionEventRow[]> {
    const rows = await this.prisma.client.$queryRawUnsafe<
      {
        id: string;
        occurred_at: Date;
        actor_type: string;
        detail: unknown;
        retention_days: number | bigint | null;
      }[]
    >(
      `SELECT e.id::text AS id, e.occurred_at, e.actor_type, e.detail, audit_retention_days_at(e.occurred_at) AS retention_days
         FROM audit_event e WHERE e.action = 'audit.retention' ORDER BY e.id`,
    );
    return rows.map((row) => ({
      id: row.id,
      occurredAt: new Date(row.occurred_at),
      actorType: row.actor_type,
      detail: (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as Record<
        string,
        unknown
      > | null,
      retentionDays: row.retention_days === null ? null : Number(row.retention_days),
    }));
  }

  /** The retention in force now (owner-set policy). */
  async currentRetentionDays(tx?: Tx): Promise<number> {
    const row = (
      await (tx ?? this.prisma.client).$queryRawUnsafe<{ days: number | bigint | null }[]>(
        'SELECT audit_retention_days_at(now()) AS days',
      )
    ).at(0);
    if (row?.days === null || row?.days === undefined)
      throw new Error('no audit retention policy is in force (audit_retention_policy is empty)');
    return Number(row.days);
  }

  /** Sets a new retention policy, in force from now on. Needs the owner's rights: the application role may only read it. */
  async setRetentionPolicy(retentionDays: number, setBy: string): Promise<void> {
    await this.prisma.client.$executeRawUnsafe(
      `INSERT INTO audit_retention_policy (effective_from, retention_days, set_by) VALUES (date_trunc('milliseconds', clock_timestamp()), $1::int, $2)`,
      retentionDays,
      setBy,
    );
  }

  async firstPosition(): Promise<bigint | undefined> {
    const row = (
      await this.prisma.client.$queryRawUnsafe<{ first: string | null }[]>(
        'SELECT min(id)::text AS first FROM audit_event',
      )
    ).at(0);
    return row?.first ? BigInt(row.first) : undefined;
  }

  /** The latest retention event saying the chain was cut just before `position`. */
  async findRetentionEndingAt(
    position: bigint,
  ): Promise<{ id: string; throughHash: string } | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ id: string; through_hash: string }[]>(
      `SELECT id::text AS id, detail->>'throughHash' AS through_hash FROM audit_event
        WHERE action = 'audit.retention' AND detail->>'throughPosition' = $1
        ORDER BY audit_event.id DESC LIMIT 1`,
      position.toString(),
    );
    return rows[0] ? { id: rows[0].id, throughHash: rows[0].through_hash } : undefined;
  }

  async summary(
    filter: AuditFilter,
    groupBy: SummaryGroup | 'day_action',
  ): Promise<(SummaryRow & { action?: string })[]> {
    const key = {
      day: `to_char(date_trunc('day', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
      day_action: `to_char(date_trunc('day', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
      client: 'client_id',
      action: 'action',
      operator: 'operator_id',
    }[groupBy];
    const extra = groupBy === 'day_action' ? ', action' : '';
    const where = whereClause(filter);
    const rows = await this.prisma.client.$queryRawUnsafe<Row[]>(
      `SELECT ${key} AS key${extra},
              count(*)::int AS total,
              count(*) FILTER (WHERE outcome = 'success')::int AS successes,
              count(*) FILTER (WHERE outcome = 'failure')::int AS failures,
              count(*) FILTER (WHERE verdict ? 'validNumber')::int AS verifications,
              count(*) FILTER (WHERE verdict @> '{"validNumber": true}')::int AS verified,
              count(*) FILTER (WHERE verdict ? 'swapped')::int AS sim_swap_checks,
              count(*) FILTER (WHERE verdict @> '{"swapped": true}')::int AS sim_swap_positives,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
         FROM audit_event ${where.sql}
        GROUP BY 1${extra} ORDER BY 1${extra}`,
      ...where.params,
    );
    return rows.map((row) => ({
      key: textOrNull(row.key),
      ...(groupBy === 'day_action' ? { action: String(row.action) } : {}),
      total: Number(row.total),
      successes: Number(row.successes),
      failures: Number(row.failures),
      verifications: Number(row.verifications),
      verified: Number(row.verified),
      simSwapChecks: Number(row.sim_swap_checks),
      simSwapPositives: Number(row.sim_swap_positives),
      latencyP50: row.p50 === null ? null : Number(row.p50),
      latencyP95: row.p95 === null ? null : Number(row.p95),
    }));
  }

  /** Creates the monthly partitions from `from`'s month (null: the database's current month) on. */
  async ensurePartitions(from: Date | null, months: number, tx?: Tx): Promise<number> {
    const row = (
      await (tx ?? this.prisma.client).$queryRawUnsafe<{ created: number | bigint }[]>(
        'SELECT audit_ensure_partitions(COALESCE($1::timestamptz, now()), $2::int) AS created',
        from?.toISOString() ?? null,
        months,
      )
    ).at(0);
    return Number(row?.created ?? 0);
  }

  async listPartitions(tx?: Tx): Promise<PartitionInfo[]> {
    const rows = await (tx ?? this.prisma.client).$queryRawUnsafe<
      { name: string; bound: string }[]
    >(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_event'::regclass`,
    );
    return rows
      .map((row) => {
        const match = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(row.bound);
        return match
          ? { name: row.name, from: new Date(match[1]), to: new Date(match[2]) }
          : undefined;
      })
      .filter((partition): partition is PartitionInfo => partition !== undefined)
      .sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  /** Last chain position and its hash among the given partitions (the end of what retention drops). */
  async lastPositionIn(
    tx: Tx,
    partitions: string[],
  ): Promise<{ position: string; hash: string } | undefined> {
    const union = partitions
      .map((name) => `SELECT id, hash FROM "${name.replace(/"/g, '""')}"`)
      .join(' UNION ALL ');
    const row = (
      await tx.$queryRawUnsafe<{ position: string; hash: string }[]>(
        `SELECT id::text AS position, hash FROM (${union}) dropped ORDER BY id DESC LIMIT 1`,
      )
    ).at(0);
    return row;
  }

  async firstPositionOutside(tx: Tx, partitions: string[]): Promise<string | undefined> {
    const row = (
      await tx.$queryRawUnsafe<{ first: string | null }[]>(
        `SELECT min(e.id)::text AS first FROM audit_event e
        WHERE e.tableoid NOT IN (SELECT unnest($1::text[])::regclass)`,
        partitions,
      )
    ).at(0);
    return row?.first ?? undefined;
  }

  /**
   * Rows of each partition as the planner estimates them (pg_class.reltuples, no scan), counted
   * only for a partition never analysed; for a progress bar, not for the record.
   */
  async estimatedRows(tx: Tx, partitions: string[]): Promise<Map<string, number>> {
    const rows = await tx.$queryRawUnsafe<{ name: string; estimate: number | string }[]>(
      'SELECT relname AS name, reltuples::float8 AS estimate FROM pg_class WHERE relname = ANY($1::text[])',
      partitions,
    );
    const estimates = new Map(rows.map((row) => [row.name, Number(row.estimate)]));
    for (const name of partitions) {
      if ((estimates.get(name) ?? -1) >= 0) continue;
      const counted = (
        await tx.$queryRawUnsafe<{ n: string }[]>(
          `SELECT count(*)::text AS n FROM "${name.replace(/"/g, '""')}"`,
        )
      ).at(0);
      estimates.set(name, Number(counted?.n ?? 0));
    }
    return estimates;
  }

  async dropPartition(tx: Tx, name: string): Promise<void> {
    await tx.$executeRawUnsafe('SELECT audit_drop_partition($1)', name);
  }

  async setLockTimeout(tx: Tx, milliseconds: number): Promise<void> {
    await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = ${Math.trunc(milliseconds)}`);
  }
}
