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

// ─── Chain format 1 (events before the version-2 epoch) ───────────────────────────────────────

/**
 * Format 1's canonical content: a JSON array in a fixed field order, with the jsonb fields in
 * sorted-key form, hashed in Node. Kept so trails written before format 2 still verify; never
 * written any more.
 */
function canonicalContentV1(event: AuditContent): string {
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

/** Format 1: SHA-256 (hex) over the previous hash and the event's canonical content. */
export function chainHashV1(prevHash: string, event: AuditContent): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalContentV1(event))
    .digest('hex');
}

// ─── Chain format 2 ──────────────────────────────────────────────────────────────────────────

/**
 * The columns an event's content digest covers, in order. Position and time are not content: they
 * are linked in by `linkHash`, which lets the digest be computed before the head is locked.
 * Changing this list or its order breaks every chain written in format 2.
 */
const CONTENT_COLUMNS = [
  ['correlation_id', 'text'],
  ['client_id', 'text'],
  ['credential_kind', 'text'],
  ['credential_fingerprint', 'text'],
  ['actor_type', 'text'],
  ['actor_id', 'text'],
  ['action', 'text'],
  ['contract', 'text'],
  ['service_type', 'text'],
  ['operator_id', 'text'],
  ['phone_hash', 'text'],
  ['phone_masked', 'text'],
  ['outcome', 'text'],
  ['verdict', 'jsonb'],
  ['http_status', 'integer'],
  ['error_code', 'text'],
  ['latency_ms', 'integer'],
  ['source_ip', 'text'],
  ['user_agent', 'text'],
  ['upstream', 'jsonb'],
  ['detail', 'jsonb'],
] as const;

/**
 * Format 2's content digest as SQL over a row source `alias` with the columns above: SHA-256 of
 * PostgreSQL's own text form of a jsonb array of the columns. The writer and the verifier run this
 * same expression, so both hash exactly what is stored, and the database does it at C speed.
 */
export function contentDigestSql(alias: string): string {
  const fields = CONTENT_COLUMNS.map(([name, type]) => `${alias}.${name}::${type}`).join(', ');
  return `encode(sha256(convert_to(jsonb_build_array(${fields})::text, 'UTF8')), 'hex')`;
}

/** The time as it enters the link: ISO 8601 in UTC with milliseconds, as `occurredAt` is read. */
export function isoTimeSql(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Format 2's link: SHA-256 (hex) over the previous hash, the position, the time and the content digest. */
export function linkHashSql(prevHash: string, id: string, isoTime: string, digest: string): string {
  return `encode(sha256(convert_to(${prevHash} || E'\\n' || ${id}::text || E'\\n' || ${isoTime} || E'\\n' || ${digest}, 'UTF8')), 'hex')`;
}

/** `linkHashSql` in Node, for the verifier: it re-links what the database digested. */
export function linkHash(prevHash: string, id: string, isoTime: string, digest: string): string {
  return createHash('sha256').update(`${prevHash}\n${id}\n${isoTime}\n${digest}`).digest('hex');
}

/** How PostgreSQL prints a number it read from JSON: plain decimal notation, never an exponent. */
function pgNumberText(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  const text = String(value === 0 ? 0 : value);
  const exponent = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exponent) return text;
  const [, sign, whole, fraction = '', power] = exponent;
  const digits = whole + fraction;
  const point = whole.length + Number(power);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** jsonb orders object keys by byte length, then bytewise. */
function compareJsonbKeys(left: string, right: string): number {
  const a = Buffer.from(left, 'utf8');
  const b = Buffer.from(right, 'utf8');
  return a.length - b.length || Buffer.compare(a, b);
}

/**
 * PostgreSQL's text form of a jsonb value (`value::jsonb::text`), for values that came from JSON:
 * keys in jsonb order, `", "` and `": "` separators, numbers in plain notation, strings escaped as
 * JSON.stringify does (the same escapes for the characters jsonb can hold).
 */
export function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return pgNumberText(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, entry]) => entry !== undefined)
        .sort(([left], [right]) => compareJsonbKeys(left, right));
      return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}: ${jsonbText(entry)}`).join(', ')}}`;
    }
    default:
      return 'null';
  }
}

/** `contentDigestSql` computed in Node, for content that is not (yet) in the database: seeding, offline checks. */
export function contentDigest(content: Omit<AuditContent, 'id' | 'occurredAt'>): string {
  const values = [
    content.correlationId,
    content.clientId,
    content.credentialKind,
    content.credentialFingerprint,
    content.actorType,
    content.actorId,
    content.action,
    content.contract,
    content.serviceType,
    content.operatorId,
    content.phoneHash,
    content.phoneMasked,
    content.outcome,
    content.verdict,
    content.httpStatus,
    content.errorCode,
    content.latencyMs,
    content.sourceIp,
    content.userAgent,
    content.upstream,
    content.detail,
  ];
  return createHash('sha256').update(jsonbText(values)).digest('hex');
}

/** Gives each event its position, the previous hash and its format-2 hash, continuing from `head`. */
export function extendChain(
  head: { position: bigint; hash: string },
  occurredAt: string,
  contents: Omit<AuditContent, 'id' | 'occurredAt'>[],
): { records: AuditRecord[]; head: { position: bigint; hash: string } } {
  let position = head.position;
  let prevHash = head.hash;
  const records = contents.map((content) => {
    position += 1n;
    const id = position.toString();
    const hash = linkHash(prevHash, id, occurredAt, contentDigest(content));
    const record: AuditRecord = { ...content, id, occurredAt, prevHash, hash };
    prevHash = hash;
    return record;
  });
  return { records, head: { position, hash: prevHash } };
}
