import { Injectable } from '@nestjs/common';
import { DatabaseConnection, type SqlSession } from '../../common/database/database-connection.js';
import { PrismaService, type Prisma } from '../../common/database/prisma.service.js';
import { extendChain, type AuditContent, type AuditRecord } from './audit-chain.js';
import { RECORD_COLUMNS, whereClause, type AuditCursor, type AuditFilter } from './audit-filter.js';

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

const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : (value ?? null));
const intOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value);

/** A row read with RECORD_COLUMNS (from pg or from Prisma's raw queries) as an AuditRecord. */
export function toRecord(row: Row): AuditRecord {
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

const INSERT_EVENTS = `
INSERT INTO audit_event (id, occurred_at, correlation_id, client_id, credential_kind, credential_fingerprint,
  actor_type, actor_id, action, contract, service_type, operator_id, phone_hash, phone_masked, outcome,
  verdict, http_status, error_code, latency_ms, source_ip, user_agent, upstream, detail, prev_hash, hash)
SELECT "id", "occurredAt", "correlationId", "clientId", "credentialKind", "credentialFingerprint",
  "actorType", "actorId", "action", "contract", "serviceType", "operatorId", "phoneHash", "phoneMasked", "outcome",
  "verdict", "httpStatus", "errorCode", "latencyMs", "sourceIp", "userAgent", "upstream", "detail", "prevHash", "hash"
FROM jsonb_to_recordset($1::jsonb) AS r("id" bigint, "occurredAt" timestamptz, "correlationId" text, "clientId" text,
  "credentialKind" text, "credentialFingerprint" text, "actorType" text, "actorId" text, "action" text, "contract" text,
  "serviceType" text, "operatorId" text, "phoneHash" text, "phoneMasked" text, "outcome" text, "verdict" jsonb,
  "httpStatus" integer, "errorCode" text, "latencyMs" integer, "sourceIp" text, "userAgent" text, "upstream" jsonb,
  "detail" jsonb, "prevHash" text, "hash" text)`;

/**
 * Audit persistence. Writes go through Prisma (so they can join a caller's transaction); bulk
 * reads (verification, export) use a dedicated SQL session, avoiding Prisma's per-row cost.
 */
@Injectable()
export class AuditRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly connection: DatabaseConnection,
  ) {}

  transaction<T>(work: (tx: Tx) => Promise<T>, timeoutMs = 10_000): Promise<T> {
    return this.prisma.client.$transaction(work, { timeout: timeoutMs, maxWait: timeoutMs });
  }

  /**
   * Appends events to the chain inside `tx`: locks the head row (serialising every writer of
   * every instance), reads the database clock under that lock (so time order follows chain
   * order), inserts all events in one statement, then moves the head. Commit is the caller's.
   */
  async appendEvents(tx: Tx, contents: Omit<AuditContent, 'id' | 'occurredAt'>[]): Promise<AuditRecord[]> {
    // The UPDATE takes the row lock and, once granted, returns the current head and the clock.
    const [head] = await tx.$queryRawUnsafe<{ position: string; hash: string; now: string }[]>(
      `UPDATE audit_chain_head SET updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = 1
       RETURNING position::text AS position, hash,
                 to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now`,
    );
    if (!head) throw new Error('audit_chain_head has no row: the audit migration did not run');
    const extended = extendChain({ position: BigInt(head.position), hash: head.hash }, head.now, contents);
    await tx.$executeRawUnsafe(INSERT_EVENTS, JSON.stringify(extended.records));
    await tx.$executeRawUnsafe(
      'UPDATE audit_chain_head SET position = $1::bigint, hash = $2 WHERE id = 1',
      extended.head.position.toString(),
      extended.head.hash,
    );
    return extended.records;
  }

  async readHead(): Promise<ChainHead> {
    const [head] = await this.prisma.client.$queryRawUnsafe<{ position: string; hash: string }[]>(
      'SELECT position::text AS position, hash FROM audit_chain_head WHERE id = 1',
    );
    return { position: BigInt(head.position), hash: head.hash };
  }

  async findPage(filter: AuditFilter, cursor: AuditCursor | undefined, limit: number): Promise<AuditRecord[]> {
    const where = whereClause(filter, cursor);
    const rows = await this.prisma.client.$queryRawUnsafe<Row[]>(
      `SELECT ${RECORD_COLUMNS} FROM audit_event ${where.sql} ORDER BY audit_event.occurred_at DESC, audit_event.id DESC LIMIT ${Math.trunc(limit)}`,
      ...where.params,
    );
    return rows.map(toRecord);
  }

  async findById(id: string): Promise<AuditRecord | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<Row[]>(
      `SELECT ${RECORD_COLUMNS} FROM audit_event WHERE id = $1::bigint`,
      id,
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Newest first, in pages of `chunk` rows on a dedicated connection: memory stays bounded whatever the total. */
  async *streamFiltered(filter: AuditFilter, chunk = 1_000): AsyncGenerator<AuditRecord[]> {
    const session = await this.connection.openSession();
    try {
      let cursor: AuditCursor | undefined;
      for (;;) {
        const where = whereClause(filter, cursor);
        const rows = await session.query<Row>(
          `SELECT ${RECORD_COLUMNS} FROM audit_event ${where.sql} ORDER BY audit_event.occurred_at DESC, audit_event.id DESC LIMIT ${chunk}`,
          where.params,
        );
        if (rows.length === 0) return;
        const records = rows.map(toRecord);
        yield records;
        if (rows.length < chunk) return;
        const last = records[records.length - 1];
        cursor = { occurredAt: last.occurredAt, id: last.id };
      }
    } finally {
      await session.release();
    }
  }

  /**
   * Every event in chain order from `afterId` up to `throughId`, in chunks, for verification. The
   * next chunk is already requested while the caller hashes the current one.
   */
  async *streamChain(afterId: bigint, throughId: bigint, chunk = 20_000): AsyncGenerator<AuditRecord[]> {
    const session: SqlSession = await this.connection.openSession();
    const fetch = (after: string): Promise<Row[]> =>
      session.query<Row>(
        `SELECT ${RECORD_COLUMNS} FROM audit_event WHERE id > $1::bigint AND id <= $2::bigint ORDER BY audit_event.id LIMIT ${chunk}`,
        [after, throughId.toString()],
      );
    let pending: Promise<Row[]> | undefined;
    try {
      if (afterId >= throughId) return;
      pending = fetch(afterId.toString());
      for (;;) {
        const rows = await pending;
        pending = undefined;
        if (rows.length === 0) return;
        const last = String(rows[rows.length - 1].id);
        if (rows.length === chunk && BigInt(last) < throughId) pending = fetch(last);
        yield rows.map(toRecord);
        if (!pending) return;
      }
    } finally {
      // A query still in flight must finish before its connection closes.
      await pending?.catch(() => undefined);
      await session.release();
    }
  }

  async firstPosition(): Promise<bigint | undefined> {
    const [row] = await this.prisma.client.$queryRawUnsafe<{ first: string | null }[]>(
      'SELECT min(id)::text AS first FROM audit_event',
    );
    return row?.first ? BigInt(row.first) : undefined;
  }

  /** The latest retention event saying the chain was cut just before `position`. */
  async findRetentionEndingAt(position: bigint): Promise<{ id: string; throughHash: string } | undefined> {
    const rows = await this.prisma.client.$queryRawUnsafe<{ id: string; through_hash: string }[]>(
      `SELECT id::text AS id, detail->>'throughHash' AS through_hash FROM audit_event
        WHERE action = 'audit.retention' AND detail->>'throughPosition' = $1
        ORDER BY audit_event.id DESC LIMIT 1`,
      position.toString(),
    );
    return rows[0] ? { id: rows[0].id, throughHash: rows[0].through_hash } : undefined;
  }

  async summary(filter: AuditFilter, groupBy: SummaryGroup | 'day_action'): Promise<(SummaryRow & { action?: string })[]> {
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
    const [row] = await (tx ?? this.prisma.client).$queryRawUnsafe<{ created: number }[]>(
      'SELECT audit_ensure_partitions(COALESCE($1::timestamptz, now()), $2::int) AS created',
      from?.toISOString() ?? null,
      months,
    );
    return Number(row?.created ?? 0);
  }

  async listPartitions(tx?: Tx): Promise<PartitionInfo[]> {
    const rows = await (tx ?? this.prisma.client).$queryRawUnsafe<{ name: string; bound: string }[]>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_event'::regclass`,
    );
    return rows
      .map((row) => {
        const match = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(row.bound);
        return match ? { name: row.name, from: new Date(match[1]), to: new Date(match[2]) } : undefined;
      })
      .filter((partition): partition is PartitionInfo => partition !== undefined)
      .sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  /** Last chain position and its hash among the given partitions (the end of what retention drops). */
  async lastPositionIn(tx: Tx, partitions: string[]): Promise<{ position: string; hash: string } | undefined> {
    const union = partitions.map((name) => `SELECT id, hash FROM "${name.replace(/"/g, '""')}"`).join(' UNION ALL ');
    const [row] = await tx.$queryRawUnsafe<{ position: string; hash: string }[]>(
      `SELECT id::text AS position, hash FROM (${union}) dropped ORDER BY id DESC LIMIT 1`,
    );
    return row;
  }

  async firstPositionOutside(tx: Tx, partitions: string[]): Promise<string | undefined> {
    const [row] = await tx.$queryRawUnsafe<{ first: string | null }[]>(
      `SELECT min(e.id)::text AS first FROM audit_event e
        WHERE e.tableoid NOT IN (SELECT unnest($1::text[])::regclass)`,
      partitions,
    );
    return row?.first ?? undefined;
  }

  async dropPartition(tx: Tx, name: string): Promise<void> {
    await tx.$executeRawUnsafe('SELECT audit_drop_partition($1)', name);
  }

  /** One instance at a time per job; released with the transaction. */
  async tryAdvisoryLock(tx: Tx, lockId: number): Promise<boolean> {
    const [row] = await tx.$queryRawUnsafe<{ locked: boolean }[]>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', lockId);
    return row?.locked === true;
  }

  async setLockTimeout(tx: Tx, milliseconds: number): Promise<void> {
    await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = ${Math.trunc(milliseconds)}`);
  }
}
