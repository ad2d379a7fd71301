import type { AuditContent } from './audit-chain.js';
import { contentDigestSql, isoTimeSql, linkHashSql } from './audit-chain.js';

/** An answer stored with an idempotency claim, for the outcome it answers. */
interface StoredAnswer {
  status: number;
  sealed: string;
  keyVersion: number;
}

/** A caller's `Idempotency-Key`, claimed with the unit, and the answer stored for each outcome. */
export interface IdempotencyClaim {
  scope: string;
  key: string;
  digest: string;
  createdAt: Date;
  expiresAt: Date;
  /** Already claimed by an earlier statement of the transaction this unit commits in. */
  claimed?: boolean;
  correlationId?: string;
  answers: Partial<Record<UnitOutcome, StoredAnswer>>;
}

/**
 * The claims a request makes on shared state. They are taken in this order, each only if the
 * ones before it succeeded, in the same statement that appends the request's audit event:
 * the JWT's single use (authentication comes first), then the idempotency key (a repeat does
 * nothing), then a credit, then the proof's single use (so a proof is never spent by a request
 * that could not pay).
 */
export interface UnitClaims {
  /** A JWT id, single-use until the token expires. */
  jwt?: { keyId: string; jti: string; expiresAt: Date };
  /** The caller's idempotency key; its answer is stored with the unit's event id. */
  idempotency?: IdempotencyClaim;
  /** One credit of a LIVE client, written to its ledger as `ledgerKind`. */
  debit?: { clientId: string; ledgerKind: string };
  /** A verification proof's single use. */
  proof?: { jti: string; clientId: string };
}

/**
 * Which claim failed, or 'ok'. The request's audit event (and answer) is the one for its outcome.
 * 'idempotency_taken' commits no event: the request is answered as a replay, audited as such.
 */
export type UnitOutcome = 'ok' | 'jwt_replayed' | 'idempotency_taken' | 'no_credit' | 'proof_spent';

/**
 * Rows of one table that units write when all their claims succeed (an enrichment session, an
 * assessment…). The owning module's repository declares the SQL; the unit of work runs it inside
 * the batch statement, so the rows commit with their events or not at all.
 */
export interface UnitWriteKind {
  /** Unique name, e.g. 'verification.enrichment_session'. */
  readonly name: string;
  /** Record columns of the rows as `jsonb_to_recordset` declares them, e.g. `id uuid, client_id text`. */
  readonly columns: string;
  /** The INSERT (or upsert) reading `source`, a relation with those columns. */
  insert(source: string): string;
  /** Rows with the same key must not be in one statement (an upsert): the later unit waits for the next batch. */
  key?(row: Record<string, unknown>): string;
}

export interface UnitWrite {
  kind: UnitWriteKind;
  row: Record<string, unknown>;
}

type EventContent = Omit<AuditContent, 'id' | 'occurredAt'>;

/** A unit as the writer stores it: claims, writes, and the audit event of each possible outcome. */
export interface PreparedUnit {
  claims: UnitClaims;
  writes: UnitWrite[];
  events: Partial<Record<UnitOutcome, EventContent>> & { ok: EventContent };
}

/** Keys a unit claims: two units sharing one must not be in the same statement. */
export function conflictKeys(unit: PreparedUnit): string[] {
  const keys: string[] = [];
  if (unit.claims.jwt) keys.push(`jwt:${unit.claims.jwt.keyId}:${unit.claims.jwt.jti}`);
  if (unit.claims.proof) keys.push(`proof:${unit.claims.proof.jti}`);
  if (unit.claims.idempotency)
    keys.push(`idempotency:${unit.claims.idempotency.scope}:${unit.claims.idempotency.key}`);
  for (const write of unit.writes) {
    const key = write.kind.key?.(write.row);
    if (key !== undefined) keys.push(`${write.kind.name}:${key}`);
  }
  return keys;
}

// The event columns, as the statement reads them from its JSON parameter.
const EVENT_RECORD = [
  'correlation_id text',
  'client_id text',
  'credential_kind text',
  'credential_fingerprint text',
  'actor_type text',
  'actor_id text',
  'action text',
  'contract text',
  'service_type text',
  'operator_id text',
  'phone_hash text',
  'phone_masked text',
  'outcome text',
  'verdict jsonb',
  'http_status integer',
  'error_code text',
  'latency_ms integer',
  'source_ip text',
  'user_agent text',
  'upstream jsonb',
  'detail jsonb',
].join(', ');
const EVENT_COLUMNS = EVENT_RECORD.split(', ').map((column) => column.split(' ')[0]);

/**
 * The one statement that commits a batch of units: claims, writes, audit events, chain head. One
 * statement is one transaction, so every unit's side effects and its event commit together or
 * not at all, in one round trip; and the chain-head lock is held for this statement only.
 *
 * Parameters: $1 units `[{o, jk, jt, jx, ks, kk, kd, ka, kx, kc, kr, kn, dc, dk, pj, pc}]`, $2 events `[{o, v, …columns}]` (one
 * per unit and possible outcome), $3 the application's time (ledger and claim rows), then one
 * JSON array of rows per write kind, in `kinds` order. Answers `(o, v)`: each unit's outcome.
 */
export function appendUnitsSql(kinds: readonly UnitWriteKind[]): string {
  const writes = kinds.flatMap((kind, index) => [
    `ok_rows_${index} AS (SELECT r.* FROM jsonb_to_recordset($${index + 4}::jsonb) AS r(o integer, ${kind.columns})
       JOIN outcome x ON x.o = r.o AND x.v = 'ok')`,
    `written_${index} AS (${kind.insert(`ok_rows_${index}`)})`,
  ]);
  const digest = contentDigestSql('ev');
  return `WITH RECURSIVE
u AS (SELECT * FROM jsonb_to_recordset($1::jsonb)
        AS u(o integer, jk uuid, jt text, jx timestamptz, ks text, kk text, kd text, ka timestamptz, kx timestamptz,
             kc boolean, kr text, kn jsonb, dc text, dk text, pj uuid, pc text)),
jwt AS (INSERT INTO used_jwt_id (key_id, jti, expires_at) SELECT jk, jt, jx FROM u WHERE jk IS NOT NULL
          ON CONFLICT DO NOTHING RETURNING key_id, jti),
jwt_ok AS (SELECT u.o FROM u WHERE u.jk IS NULL OR EXISTS (SELECT 1 FROM jwt WHERE jwt.key_id = u.jk AND jwt.jti = u.jt)),
idem AS (${claimIdempotencyInsert('(SELECT u.ks, u.kk, u.kd, u.ka, u.kx FROM u JOIN jwt_ok USING (o) WHERE u.ks IS NOT NULL AND NOT u.kc)')}),
idem_ok AS (SELECT j.o FROM jwt_ok j JOIN u USING (o)
              WHERE u.ks IS NULL OR u.kc OR EXISTS (SELECT 1 FROM idem i WHERE i.scope = u.ks AND i.key = u.kk)),
want AS (SELECT u.dc AS client_id, count(*)::integer AS n FROM u JOIN idem_ok USING (o) WHERE u.dc IS NOT NULL GROUP BY u.dc),
locked AS (SELECT b.client_id, b.credits FROM client_balance b
            WHERE b.client_id IN (SELECT client_id FROM want) AND b.credits > 0
              AND (b.expires_at IS NULL OR b.expires_at > $3::timestamptz)
              FOR UPDATE),
debited AS (UPDATE client_balance b SET credits = b.credits - LEAST(l.credits, w.n), updated_at = $3::timestamptz
              FROM locked l JOIN want w USING (client_id) WHERE b.client_id = l.client_id
              RETURNING b.client_id, l.credits AS before, LEAST(l.credits, w.n) AS taken),
ranked AS (SELECT u.o, u.dc, u.dk, row_number() OVER (PARTITION BY u.dc ORDER BY u.o) AS k
             FROM u JOIN idem_ok USING (o) WHERE u.dc IS NOT NULL),
granted AS (SELECT r.o, r.dc, r.dk, d.before - r.k AS after FROM ranked r JOIN debited d ON d.client_id = r.dc WHERE r.k <= d.taken),
ledger AS (INSERT INTO balance_ledger (client_id, kind, change, balance_after, created_at)
             SELECT dc, dk::balance_entry_kind, -1, after, $3::timestamptz FROM granted ORDER BY o),
paid AS (SELECT j.o FROM idem_ok j JOIN u USING (o) WHERE u.dc IS NULL UNION ALL SELECT o FROM granted),
proof AS (INSERT INTO proof_use (jti, client_id, used_at) SELECT u.pj, u.pc, $3::timestamptz FROM u JOIN paid USING (o)
            WHERE u.pj IS NOT NULL ON CONFLICT DO NOTHING RETURNING jti),
outcome AS (SELECT u.o, CASE
              WHEN NOT EXISTS (SELECT 1 FROM jwt_ok j WHERE j.o = u.o) THEN 'jwt_replayed'
              WHEN NOT EXISTS (SELECT 1 FROM idem_ok i WHERE i.o = u.o) THEN 'idempotency_taken'
              WHEN NOT EXISTS (SELECT 1 FROM paid p WHERE p.o = u.o) THEN 'no_credit'
              WHEN u.pj IS NOT NULL AND NOT EXISTS (SELECT 1 FROM proof p WHERE p.jti = u.pj) THEN 'proof_spent'
              ELSE 'ok' END AS v FROM u),
${writes.length > 0 ? `${writes.join(',\n')},\n` : ''}ev AS (SELECT row_number() OVER (ORDER BY e.o) AS n, e.*
        FROM jsonb_to_recordset($2::jsonb) AS e(o integer, v text, ${EVENT_RECORD})
        JOIN outcome x ON x.o = e.o AND x.v = e.v),
head AS (SELECT position, hash::text AS hash, updated_at FROM audit_chain_head WHERE id = 1 FOR UPDATE),
stamp AS (SELECT t.at, ${isoTimeSql('t.at')} AS iso
            FROM (SELECT GREATEST(date_trunc('milliseconds', clock_timestamp()), head.updated_at) AS at FROM head) t),
chain (n, id, prev, hash) AS (
  SELECT 0::bigint, h.position, NULL::text, h.hash FROM head h
  UNION ALL
  SELECT c.n + 1, c.id + 1, c.hash, ${linkHashSql('c.hash', '(c.id + 1)', 's.iso', digest)}
    FROM chain c JOIN ev ON ev.n = c.n + 1 CROSS JOIN stamp s),
inserted AS (INSERT INTO audit_event (id, occurred_at, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash)
  SELECT c.id, s.at, ${EVENT_COLUMNS.map((column) => `ev.${column}`).join(', ')}, c.prev, c.hash
    FROM chain c JOIN ev ON ev.n = c.n CROSS JOIN stamp s WHERE c.n > 0),
moved AS (UPDATE audit_chain_head h SET position = t.id, hash = t.hash, updated_at = s.at
  FROM (SELECT id, hash FROM chain ORDER BY n DESC LIMIT 1) t CROSS JOIN stamp s
  WHERE h.id = 1 AND t.id > h.position),
answered AS (INSERT INTO idempotency_response (scope, key, status, body_sealed, key_version, event_id, correlation_id, expires_at)
  SELECT u.ks, u.kk, (a.answer ->> 'status')::integer, a.answer ->> 'sealed', (a.answer ->> 'keyVersion')::integer, c.id, u.kr, u.kx
    FROM u JOIN outcome x USING (o) CROSS JOIN LATERAL (SELECT u.kn -> x.v AS answer) a
    LEFT JOIN ev ON ev.o = u.o LEFT JOIN chain c ON c.n = ev.n AND c.n > 0
   WHERE u.ks IS NOT NULL AND a.answer IS NOT NULL
  ON CONFLICT (scope, key) DO UPDATE SET status = EXCLUDED.status, body_sealed = EXCLUDED.body_sealed,
    key_version = EXCLUDED.key_version, event_id = EXCLUDED.event_id, correlation_id = EXCLUDED.correlation_id,
    expires_at = EXCLUDED.expires_at)
SELECT o, v FROM outcome ORDER BY o`;
}

/**
 * The idempotency claim: a new key, or one whose 24 h have passed (the purge job may not have run
 * yet). ON CONFLICT makes it safe across instances: a concurrent claim of the same key waits for
 * the first one's transaction and, if that commits, claims nothing. `source` yields (scope, key,
 * digest, created_at, expires_at); answers `(scope, key)` of the keys claimed.
 */
export function claimIdempotencyInsert(source: string): string {
  return `INSERT INTO idempotency_key AS k (scope, key, request_digest, created_at, expires_at) SELECT * FROM ${source} AS s
    ON CONFLICT (scope, key) DO UPDATE SET request_digest = EXCLUDED.request_digest, created_at = EXCLUDED.created_at,
      expires_at = EXCLUDED.expires_at
      WHERE k.expires_at <= EXCLUDED.created_at
    RETURNING k.scope, k.key`;
}

/** The statement's JSON parameters for a batch (`appendUnitsSql` documents them). */
export function appendUnitsParameters(
  units: readonly PreparedUnit[],
  kinds: readonly UnitWriteKind[],
  now: Date,
): string[] {
  const unitRows = units.map((unit, o) => ({
    o,
    jk: unit.claims.jwt?.keyId ?? null,
    jt: unit.claims.jwt?.jti ?? null,
    jx: unit.claims.jwt?.expiresAt.toISOString() ?? null,
    ks: unit.claims.idempotency?.scope ?? null,
    kk: unit.claims.idempotency?.key ?? null,
    kd: unit.claims.idempotency?.digest ?? null,
    ka: unit.claims.idempotency?.createdAt.toISOString() ?? null,
    kx: unit.claims.idempotency?.expiresAt.toISOString() ?? null,
    kc: unit.claims.idempotency?.claimed === true,
    kr: unit.claims.idempotency?.correlationId ?? null,
    kn: unit.claims.idempotency?.answers ?? null,
    dc: unit.claims.debit?.clientId ?? null,
    dk: unit.claims.debit?.ledgerKind ?? null,
    pj: unit.claims.proof?.jti ?? null,
    pc: unit.claims.proof?.clientId ?? null,
  }));
  const eventRows = units.flatMap((unit, o) =>
    Object.entries(unit.events).map(([v, content]) => ({ o, v, ...eventRow(content) })),
  );
  const writeRows = kinds.map((kind) =>
    JSON.stringify(
      units.flatMap((unit, o) =>
        unit.writes.filter((write) => write.kind === kind).map((write) => ({ ...write.row, o })),
      ),
    ),
  );
  return [JSON.stringify(unitRows), JSON.stringify(eventRows), now.toISOString(), ...writeRows];
}

function eventRow(content: EventContent): Record<string, unknown> {
  return {
    correlation_id: content.correlationId,
    client_id: content.clientId,
    credential_kind: content.credentialKind,
    credential_fingerprint: content.credentialFingerprint,
    actor_type: content.actorType,
    actor_id: content.actorId,
    action: content.action,
    contract: content.contract,
    service_type: content.serviceType,
    operator_id: content.operatorId,
    phone_hash: content.phoneHash,
    phone_masked: content.phoneMasked,
    outcome: content.outcome,
    verdict: content.verdict,
    http_status: content.httpStatus,
    error_code: content.errorCode,
    latency_ms: content.latencyMs,
    source_ip: content.sourceIp,
    user_agent: content.userAgent,
    upstream: content.upstream,
    detail: content.detail,
  };
}
