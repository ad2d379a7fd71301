import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVER_URL } from './lib/postgres.js';

/** The audit module's own functions, loaded from the gateway's build so seeded rows verify and phone searches find them. */
interface AuditFunctions {
  hashPhoneNumber(pepper: Buffer, phoneNumber: string): string;
  maskPhoneNumber(phoneNumber: string): string;
  /** Chain format 2: the content digest PostgreSQL would compute, and the link over it. */
  contentDigest(content: Record<string, unknown>): string;
  linkHash(prevHash: string, id: string, occurredAt: string, digest: string): string;
  GENESIS_HASH: string;
}

export async function loadAuditFunctions(distDir: string): Promise<AuditFunctions> {
  const load = (file: string): Promise<Record<string, unknown>> =>
    import(pathToFileURL(path.join(distDir, file)).href) as Promise<Record<string, unknown>>;
  const [event, chain, phone] = await Promise.all([
    load('modules/audit/audit-event.js'),
    load('modules/audit/audit-chain.js'),
    load('common/phone/phone-number.js'),
  ]);
  // Fails here, not after minutes of seeding, when the gateway's code moves.
  for (const [name, value] of Object.entries({
    hashPhoneNumber: event.hashPhoneNumber,
    maskPhoneNumber: phone.maskPhoneNumber,
    contentDigest: chain.contentDigest,
    linkHash: chain.linkHash,
  })) {
    if (typeof value !== 'function')
      throw new Error(`bench: ${name} is no longer exported where the seeder looks for it`);
  }
  return {
    hashPhoneNumber: event.hashPhoneNumber as AuditFunctions['hashPhoneNumber'],
    maskPhoneNumber: phone.maskPhoneNumber as AuditFunctions['maskPhoneNumber'],
    contentDigest: chain.contentDigest as AuditFunctions['contentDigest'],
    linkHash: chain.linkHash as AuditFunctions['linkHash'],
    GENESIS_HASH: chain.GENESIS_HASH as string,
  };
}

/** Decodes a pepper the way the gateway does (hex when it looks like hex, else base64url). */
export function decodePepper(value: string): Buffer {
  return Buffer.from(value, /^[0-9a-fA-F]+$/.test(value) ? 'hex' : 'base64url');
}

export const SEED_CLIENTS = 50;
export const SEED_PHONES = 200_000;
export const seedClientId = (index: number): string =>
  `cli_bench${String(index % SEED_CLIENTS).padStart(4, '0')}`;
/** Jordanian sandbox-style numbers: each appears on about events / SEED_PHONES events. */
export const seedPhone = (index: number): string =>
  `+96279${String(1_000_000 + (index % SEED_PHONES)).padStart(7, '0')}`;

const COLUMNS =
  'id, occurred_at, correlation_id, client_id, credential_kind, credential_fingerprint, actor_type, actor_id, action, contract, service_type, operator_id, phone_hash, phone_masked, outcome, verdict, http_status, error_code, latency_ms, source_ip, user_agent, upstream, detail, prev_hash, hash';

/** A cheap deterministic generator, so a seed is reproducible and costs no entropy per row. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPERATORS = ['ZAIN_JO', 'ORANGE_JO', 'UMNIAH_JO'];
const SERVICE_TYPES = ['LOGIN', 'REGISTRATION', 'TRANSACTION', 'RESET_PASS', 'UPDATE_DETAILS'];
const FAILURES: [number, string][] = [
  [400, 'INVALID_MOBILE_NUMBER'],
  [401, 'UNAUTHENTICATED'],
  [429, 'TOO_MANY_REQUESTS'],
  [503, 'OPERATOR_UNAVAILABLE'],
];

/** Each number of the pool recurs about events / SEED_PHONES times: hash it once. */
const phoneCache = new Map<string, { phoneHash: string; phoneMasked: string }>();

/**
 * One plausible event in its stored form (what the audit module's toAuditContent produces for a
 * request of this kind: the number hashed and masked, absent fields null): the mix of a
 * production day, i.e. verifications, enrichment, SIM-swap checks and some admin reads. One
 * object literal with every field (no spreads): this runs ten million times.
 */
function eventContent(
  index: number,
  occurredAt: string,
  random: () => number,
  audit: AuditFunctions,
  pepper: Buffer,
): Record<string, unknown> {
  const clientId = seedClientId(Math.floor(random() * SEED_CLIENTS));
  const phoneNumber = seedPhone(Math.floor(random() * SEED_PHONES));
  let phone = phoneCache.get(phoneNumber);
  if (!phone) {
    phone = {
      phoneHash: audit.hashPhoneNumber(pepper, phoneNumber),
      phoneMasked: audit.maskPhoneNumber(phoneNumber),
    };
    phoneCache.set(phoneNumber, phone);
  }
  const operatorId = OPERATORS[Math.floor(random() * OPERATORS.length)];
  const failed = random() < 0.08;
  const failure = failed ? FAILURES[Math.floor(random() * FAILURES.length)] : undefined;
  const event: Record<string, unknown> = {
    id: String(index),
    occurredAt,
    correlationId: `bench-${index.toString(36)}`,
    clientId,
    credentialKind: 'api_key',
    credentialFingerprint: `ak_${clientId.slice(-4)}`,
    actorType: 'client',
    actorId: clientId,
    action: 'verify',
    contract: 'authmatech',
    serviceType: null,
    operatorId,
    phoneHash: phone.phoneHash,
    phoneMasked: phone.phoneMasked,
    outcome: failed ? 'failure' : 'success',
    verdict: null,
    httpStatus: failure ? failure[0] : 200,
    errorCode: failure ? failure[1] : null,
    latencyMs: 2 + Math.floor(random() * 40),
    sourceIp: `10.0.${index % 250}.${(index >> 8) % 250}`,
    userAgent: 'okhttp/4.12.0',
    upstream: null,
    detail: null,
  };
  const kind = random();
  if (kind < 0.45) {
    event.serviceType = SERVICE_TYPES[Math.floor(random() * SERVICE_TYPES.length)];
    if (!failed) event.verdict = { validNumber: random() < 0.93 };
    event.upstream = [{ latencyMs: 1 + Math.floor(random() * 20), operatorId, status: 200 }];
  } else if (kind < 0.75) {
    event.action = 'enrichment';
    event.credentialKind = 'sdk_token';
    event.credentialFingerprint = 'sdk';
  } else if (kind < 0.9) {
    event.action = 'sim_swap.check';
    event.contract = 'camara';
    event.credentialKind = 'jwt_key';
    event.credentialFingerprint = 'jk';
    if (!failed) event.verdict = { swapped: random() < 0.03 };
  } else if (kind < 0.98) {
    event.action = 'identity_match.sim_swap';
    event.contract = 'identity_match';
    event.serviceType = '24h';
    event.credentialKind = 'jwt_key';
    event.credentialFingerprint = 'jk';
    if (!failed) event.verdict = { '24h': random() < 0.02 };
  } else {
    event.action = 'audit.events.list';
    event.contract = 'admin';
    event.actorType = 'admin';
    event.actorId = 'admin-key';
    event.clientId = null;
    event.credentialKind = 'admin_key';
    event.credentialFingerprint = 'adm';
    event.operatorId = null;
    event.phoneHash = null;
    event.phoneMasked = null;
  }
  return event;
}

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\\\t\n\r]/.test(text)
    ? text.replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
      )
    : text;
}

export interface SeedResult {
  events: number;
  seconds: number;
  head: { position: number; hash: string };
  firstAt: Date;
  lastAt: Date;
}

/**
 * Writes `count` chained events spread evenly over [from, to) with `psql \copy … FROM STDIN`,
 * computing each row's content and hash with the audit module's own functions, then moves the
 * chain head to the last of them. The chain must be empty (position 0) before.
 */
export async function seedAuditEvents(options: {
  database: string;
  distDir: string;
  phonePepper: string;
  count: number;
  from: Date;
  to: Date;
  onProgress?: (done: number) => void;
}): Promise<SeedResult> {
  const audit = await loadAuditFunctions(options.distDir);
  const pepper = decodePepper(options.phonePepper);
  const random = mulberry32(randomBytes(4).readUInt32LE(0));
  const started = Date.now();
  const span = options.to.getTime() - options.from.getTime();

  const psql = spawn(
    'psql',
    [
      `${SERVER_URL}/${options.database}`,
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-c',
      `\\copy audit_event (${COLUMNS}) FROM STDIN`,
    ],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  psql.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => psql.once('exit', resolve));

  const progressEvery = Math.max(100_000, Math.ceil(options.count / 10 / 100_000) * 100_000);
  let prevHash = audit.GENESIS_HASH;
  let lines: string[] = [];
  for (let index = 1; index <= options.count; index++) {
    const occurredAt = new Date(
      options.from.getTime() + Math.floor(((index - 1) * span) / options.count),
    ).toISOString();
    const content = eventContent(index, occurredAt, random, audit, pepper);
    const hash = audit.linkHash(
      prevHash,
      String(content.id),
      String(content.occurredAt),
      audit.contentDigest(content),
    );
    lines.push(
      [
        content.id,
        content.occurredAt,
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
        prevHash,
        hash,
      ]
        .map(field)
        .join('\t'),
    );
    prevHash = hash;
    if (lines.length === 2_000 || index === options.count) {
      const chunk = lines.join('\n') + '\n';
      lines = [];
      if (!psql.stdin.write(chunk))
        await new Promise<void>((resolve) => psql.stdin.once('drain', resolve));
      if (index % progressEvery < 2_000) options.onProgress?.(index);
    }
  }
  psql.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`seeding with psql \\copy failed (${code}): ${stderr}`);
  return {
    events: options.count,
    seconds: (Date.now() - started) / 1000,
    head: { position: options.count, hash: prevHash },
    firstAt: options.from,
    lastAt: new Date(
      options.from.getTime() + Math.floor(((options.count - 1) * span) / options.count),
    ),
  };
}
