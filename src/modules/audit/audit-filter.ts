/** Conditions on audit events shared by the list, export, report and portal queries. */
export interface AuditFilter {
  from?: Date;
  to?: Date;
  clientId?: string;
  action?: string;
  contract?: string;
  outcome?: string;
  /** Events whose verdict contains this object (jsonb @>), e.g. { validNumber: true }. */
  verdict?: Record<string, unknown>;
  serviceType?: string;
  operatorId?: string;
  phoneHash?: string;
  correlationId?: string;
  /** Leave out events whose action starts with one of these (the portal hides its own reads). */
  excludeActionPrefixes?: string[];
}

/** Keyset position: the (occurredAt, id) of the last row of the previous page. */
export interface AuditCursor {
  occurredAt: string;
  id: string;
}

/** A WHERE clause with numbered parameters, starting at $1 + offset. */
export function whereClause(
  filter: AuditFilter,
  cursor?: AuditCursor,
): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.from) add((p) => `occurred_at >= ${p}::timestamptz`, filter.from.toISOString());
  if (filter.to) add((p) => `occurred_at < ${p}::timestamptz`, filter.to.toISOString());
  if (filter.clientId !== undefined) add((p) => `client_id = ${p}`, filter.clientId);
  if (filter.action !== undefined) add((p) => `action = ${p}`, filter.action);
  if (filter.contract !== undefined) add((p) => `contract = ${p}`, filter.contract);
  if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
  if (filter.verdict !== undefined)
    add((p) => `verdict @> ${p}::jsonb`, JSON.stringify(filter.verdict));
  if (filter.serviceType !== undefined) add((p) => `service_type = ${p}`, filter.serviceType);
  if (filter.operatorId !== undefined) add((p) => `operator_id = ${p}`, filter.operatorId);
  if (filter.phoneHash !== undefined) add((p) => `phone_hash = ${p}`, filter.phoneHash);
  if (filter.correlationId !== undefined) add((p) => `correlation_id = ${p}`, filter.correlationId);
  for (const prefix of filter.excludeActionPrefixes ?? []) {
    add((p) => `action NOT LIKE ${p}`, `${prefix.replace(/[\\%_]/g, '\\$&')}%`);
  }
  if (cursor) {
    params.push(cursor.occurredAt, cursor.id);
    // Row comparison, so the (occurred_at, id) indexes serve the keyset directly.
    conditions.push(
      `(occurred_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`,
    );
  }
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

export const RECORD_COLUMNS = `id::text AS id,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
  correlation_id, client_id, credential_kind, credential_fingerprint, actor_type, actor_id, action,
  contract, service_type, operator_id, phone_hash, phone_masked, outcome, verdict, http_status,
  error_code, latency_ms, source_ip, user_agent, upstream, detail, prev_hash, hash`;
