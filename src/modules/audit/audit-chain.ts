import { createHash } from 'node:crypto';

/** The "previous hash" of the first event of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** An audit row as stored: the content its hash covers plus the chain fields. */
export interface AuditRecord {
  /** Chain position (bigint as a decimal string). */
  id: string;
  /** ISO 8601 in UTC with milliseconds, as stored in timestamptz(3). */
  occurredAt: string;
  correlationId: string | null;
  clientId: string | null;
  credentialKind: string | null;
  credentialFingerprint: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  contract: string;
  serviceType: string | null;
  operatorId: string | null;
  phoneHash: string | null;
  phoneMasked: string | null;
  outcome: string;
  verdict: unknown;
  httpStatus: number | null;
  errorCode: string | null;
  latencyMs: number | null;
  sourceIp: string | null;
  userAgent: string | null;
  upstream: unknown;
  detail: unknown;
  prevHash: string;
  hash: string;
}

export type AuditContent = Omit<AuditRecord, 'prevHash' | 'hash'>;

/** JSON with object keys sorted at every level: PostgreSQL's jsonb reorders keys, so the hash must not depend on order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortKeys);
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const entry = (value as Record<string, unknown>)[key];
    if (entry !== undefined) sorted[key] = sortKeys(entry);
  }
  return sorted;
}

/**
 * The canonical form of an event's content: a JSON array in a fixed field order (cheaper to build
 * and hash than a sorted object, which matters when verifying millions of rows), with the jsonb
 * fields in sorted-key form. Changing this order or the field list breaks every existing chain.
 */
export function canonicalContent(event: AuditContent): string {
  return JSON.stringify([
    event.id,
    event.occurredAt,
    event.correlationId,
    event.clientId,
    event.credentialKind,
    event.credentialFingerprint,
    event.actorType,
    event.actorId,
    event.action,
    event.contract,
    event.serviceType,
    event.operatorId,
    event.phoneHash,
    event.phoneMasked,
    event.outcome,
    event.verdict === null || event.verdict === undefined ? null : sortKeys(event.verdict),
    event.httpStatus,
    event.errorCode,
    event.latencyMs,
    event.sourceIp,
    event.userAgent,
    event.upstream === null || event.upstream === undefined ? null : sortKeys(event.upstream),
    event.detail === null || event.detail === undefined ? null : sortKeys(event.detail),
  ]);
}

/** SHA-256 (hex) over the previous hash and this event's canonical content. */
export function chainHash(prevHash: string, event: AuditContent): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalContent(event)).digest('hex');
}

/** Gives each event its position, the previous hash and its own hash, continuing from the head. */
export function extendChain(
  head: { position: bigint; hash: string },
  occurredAt: string,
  contents: Omit<AuditContent, 'id' | 'occurredAt'>[],
): { records: AuditRecord[]; head: { position: bigint; hash: string } } {
  let position = head.position;
  let prevHash = head.hash;
  const records = contents.map((content) => {
    position += 1n;
    const withPlace: AuditContent = { ...content, id: position.toString(), occurredAt };
    const hash = chainHash(prevHash, withPlace);
    const record: AuditRecord = { ...withPlace, prevHash, hash };
    prevHash = hash;
    return record;
  });
  return { records, head: { position, hash: prevHash } };
}
