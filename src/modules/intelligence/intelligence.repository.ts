import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../common/database/prisma.service.js';
import type { UnitWriteKind } from '../audit/audit.service.js';
import type { Windows } from './intelligence-signals.js';

/** An assessment, written in the same statement as its audit event and its credit (one unit of work). */
export const ASSESSMENTS: UnitWriteKind = {
  name: 'intelligence.assessment',
  columns:
    'id uuid, transaction_id text, client_id text, product text, service_type text, phone_hash text, device_hash text, ip_hash text, operator_id text, country_code text, signals jsonb, factors jsonb, score integer, decision text, policy_version integer, created_at timestamptz',
  insert: (
    rows,
  ) => `INSERT INTO assessment (id, transaction_id, client_id, product, service_type, phone_hash, device_hash, ip_hash, operator_id, country_code, signals, factors, score, decision, policy_version, created_at)
    SELECT id, transaction_id, client_id, product::assessment_product, service_type, phone_hash, device_hash, ip_hash, operator_id, country_code, signals,
           ARRAY(SELECT jsonb_array_elements_text(factors)), score, decision, policy_version, created_at FROM ${rows}`,
};

/** What earlier assessments of the client say about this number, device and IP. */
export interface HistoryStats {
  number: Windows;
  device: Windows;
  ip: Windows;
  /** Distinct other numbers on the device, other devices of the number (this request not included). */
  otherNumbersOnDevice: Windows;
  otherDevicesOnNumber: Windows;
  deviceSeenWithNumber: boolean;
  numberHasDevices: boolean;
  previousOperator: string | null;
  previousCountry: string | null;
}

export interface StoredPolicy {
  version: number;
  policy: unknown;
  createdBy: string;
  createdAt: Date;
}

interface StatsRow {
  n0: number;
  n1: number;
  n2: number;
  d0: number;
  d1: number;
  d2: number;
  i0: number;
  i1: number;
  i2: number;
  on0: number;
  on1: number;
  on2: number;
  od0: number;
  od1: number;
  od2: number;
  seen: boolean;
  has_devices: boolean;
  previous_operator: string | null;
  previous_country: string | null;
}

@Injectable()
export class IntelligenceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Counts over the client's assessments of the last 24 h (before `now`) in one statement, so
   * every instance sees the same velocity: the counts come from the shared table, not memory.
   */
  async historyStats(
    clientId: string,
    phoneHash: string,
    deviceHash: string | null,
    ipHash: string | null,
    now: Date,
  ): Promise<HistoryStats> {
    const rows = await this.prisma.client.$queryRawUnsafe<StatsRow[]>(
      // One branch per identifier, each on its own (client_id, <hash>, created_at) index; an OR
      // over the three made the planner walk every assessment of the client's last 24 h instead.
      // The hashes are CHAR(64): the parameters are bpchar, as a text comparison casts the column
      // and cannot use those indexes at all.
      `WITH recent AS (
         SELECT 'n' AS via, phone_hash, device_hash, $5::timestamptz - created_at AS age FROM assessment
          WHERE client_id = $1::text AND phone_hash = $2::bpchar AND created_at > $5::timestamptz - interval '24 hours' AND created_at <= $5::timestamptz
         UNION ALL
         SELECT 'd', phone_hash, device_hash, $5::timestamptz - created_at FROM assessment
          WHERE client_id = $1::text AND device_hash = $3::bpchar AND created_at > $5::timestamptz - interval '24 hours' AND created_at <= $5::timestamptz
         UNION ALL
         SELECT 'i', phone_hash, device_hash, $5::timestamptz - created_at FROM assessment
          WHERE client_id = $1::text AND ip_hash = $4::bpchar AND created_at > $5::timestamptz - interval '24 hours' AND created_at <= $5::timestamptz)
       SELECT
         count(*) FILTER (WHERE via = 'n' AND age < interval '10 minutes')::int AS n0,
         count(*) FILTER (WHERE via = 'n' AND age < interval '1 hour')::int AS n1,
         count(*) FILTER (WHERE via = 'n')::int AS n2,
         count(*) FILTER (WHERE via = 'd' AND age < interval '10 minutes')::int AS d0,
         count(*) FILTER (WHERE via = 'd' AND age < interval '1 hour')::int AS d1,
         count(*) FILTER (WHERE via = 'd')::int AS d2,
         count(*) FILTER (WHERE via = 'i' AND age < interval '10 minutes')::int AS i0,
         count(*) FILTER (WHERE via = 'i' AND age < interval '1 hour')::int AS i1,
         count(*) FILTER (WHERE via = 'i')::int AS i2,
         count(DISTINCT phone_hash) FILTER (WHERE via = 'd' AND phone_hash <> $2::bpchar AND age < interval '10 minutes')::int AS on0,
         count(DISTINCT phone_hash) FILTER (WHERE via = 'd' AND phone_hash <> $2::bpchar AND age < interval '1 hour')::int AS on1,
         count(DISTINCT phone_hash) FILTER (WHERE via = 'd' AND phone_hash <> $2::bpchar)::int AS on2,
         count(DISTINCT device_hash) FILTER (WHERE via = 'n' AND device_hash IS DISTINCT FROM $3::bpchar AND age < interval '10 minutes')::int AS od0,
         count(DISTINCT device_hash) FILTER (WHERE via = 'n' AND device_hash IS DISTINCT FROM $3::bpchar AND age < interval '1 hour')::int AS od1,
         count(DISTINCT device_hash) FILTER (WHERE via = 'n' AND (device_hash IS DISTINCT FROM $3::bpchar OR $3::bpchar IS NULL))::int AS od2,
         EXISTS (SELECT 1 FROM assessment WHERE client_id = $1::text AND phone_hash = $2::bpchar AND device_hash = $3::bpchar AND created_at <= $5::timestamptz) AS seen,
         EXISTS (SELECT 1 FROM assessment WHERE client_id = $1::text AND phone_hash = $2::bpchar AND device_hash IS NOT NULL AND created_at <= $5::timestamptz) AS has_devices,
         (SELECT operator_id FROM assessment WHERE client_id = $1::text AND phone_hash = $2::bpchar AND operator_id IS NOT NULL AND created_at <= $5::timestamptz
           ORDER BY created_at DESC LIMIT 1) AS previous_operator,
         (SELECT country_code FROM assessment WHERE client_id = $1::text AND phone_hash = $2::bpchar AND country_code IS NOT NULL
             AND created_at > $5::timestamptz - interval '24 hours' AND created_at <= $5::timestamptz
           ORDER BY created_at DESC LIMIT 1) AS previous_country
       FROM recent`,
      clientId,
      phoneHash,
      deviceHash,
      ipHash,
      now.toISOString(),
    );
    const r = rows[0];
    return {
      number: [r.n0, r.n1, r.n2],
      device: [r.d0, r.d1, r.d2],
      ip: [r.i0, r.i1, r.i2],
      otherNumbersOnDevice: [r.on0, r.on1, r.on2],
      otherDevicesOnNumber: [r.od0, r.od1, r.od2],
      deviceSeenWithNumber: r.seen,
      numberHasDevices: r.has_devices,
      previousOperator: r.previous_operator,
      previousCountry: r.previous_country,
    };
  }

  /** The client's newest policy version for the service type. */
  async findActivePolicy(clientId: string, serviceType: string): Promise<StoredPolicy | undefined> {
    const row = await this.prisma.client.intelligencePolicy.findFirst({
      where: { clientId, serviceType },
      orderBy: { version: 'desc' },
    });
    return row
      ? {
          version: row.version,
          policy: row.policy,
          createdBy: row.createdBy,
          createdAt: row.createdAt,
        }
      : undefined;
  }

  /** The newest version of each of the client's service types. */
  async listActivePolicies(clientId: string): Promise<(StoredPolicy & { serviceType: string })[]> {
    const rows = await this.prisma.client.intelligencePolicy.findMany({
      where: { clientId },
      distinct: ['serviceType'],
      orderBy: [{ serviceType: 'asc' }, { version: 'desc' }],
    });
    return rows.map((row) => ({
      serviceType: row.serviceType,
      version: row.version,
      policy: row.policy,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
    }));
  }

  /** The client's versions of one service type, newest first (a page of at most `limit`). */
  async listPolicyVersions(
    clientId: string,
    serviceType: string,
    limit: number,
  ): Promise<StoredPolicy[]> {
    const rows = await this.prisma.client.intelligencePolicy.findMany({
      where: { clientId, serviceType },
      orderBy: { version: 'desc' },
      take: limit,
    });
    return rows.map((row) => ({
      version: row.version,
      policy: row.policy,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
    }));
  }

  /**
   * Appends the next version (inside the caller's transaction, with its audit event). The
   * transaction-scoped advisory lock orders concurrent changes of one client's journey.
   */
  async appendPolicy(
    tx: Tx,
    clientId: string,
    serviceType: string,
    policy: object,
    createdBy: string,
    at: Date,
  ): Promise<StoredPolicy> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`intelligence_policy:${clientId}:${serviceType}`}, 0))`;
    const rows = await tx.$queryRaw<{ version: number }[]>`
      INSERT INTO intelligence_policy (client_id, service_type, version, policy, created_by, created_at)
      SELECT ${clientId}, ${serviceType}, COALESCE(max(version), 0) + 1, ${JSON.stringify(policy)}::jsonb, ${createdBy}, ${at}
        FROM intelligence_policy WHERE client_id = ${clientId} AND service_type = ${serviceType}
      RETURNING version`;
    return { version: rows[0].version, policy, createdBy, createdAt: at };
  }

  /**
   * The client's assessments of one product and journey in [from, to), oldest first, a page at a
   * time (keyset on created_at, id), with only what a replay needs.
   */
  async *replayable(
    clientId: string,
    product: string,
    serviceType: string,
    from: Date,
    to: Date,
    page = 10_000,
  ): AsyncGenerator<ReplayRow[]> {
    const fetchPage = (after: { at: string; id: string } | undefined): Promise<ReplayRow[]> =>
      this.prisma.client.$queryRawUnsafe<ReplayRow[]>(
        // signals as text: the caller parses only the signals it has not seen yet.
        `SELECT id::text AS id, transaction_id, decision, policy_version, signals::text AS signals, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
           FROM assessment
          WHERE client_id = $1 AND product = $2::assessment_product AND service_type = $3
            AND created_at >= $4::timestamptz AND created_at < $5::timestamptz
            ${after ? 'AND (created_at, id) > ($6::timestamptz, $7::uuid)' : ''}
          ORDER BY created_at, id LIMIT ${Math.trunc(page)}`,
        clientId,
        product,
        serviceType,
        from.toISOString(),
        to.toISOString(),
        ...(after ? [after.at, after.id] : []),
      );
    let pending: Promise<ReplayRow[]> | undefined = fetchPage(undefined);
    while (pending) {
      const rows: ReplayRow[] = await pending;
      const last = rows[rows.length - 1];
      // The next page is read while the caller replays this one.
      pending = rows.length < page ? undefined : fetchPage({ at: last.at, id: last.id });
      if (rows.length > 0) yield rows;
    }
  }
}

export interface ReplayRow {
  id: string;
  transaction_id: string;
  decision: string;
  policy_version: number;
  /** The stored signals' JSON text. */
  signals: string;
  at: string;
}
