import { createHmac } from 'node:crypto';
import type { CredentialRef } from '../../common/auth/caller.js';
import type { UpstreamCall } from '../../common/http/audit-facts.js';
import { canonicalPhoneNumber, maskPhoneNumber } from '../../common/phone/phone-number.js';
import type { AuditContent } from './audit-chain.js';

type AuditContract = 'authmatech' | 'identity_match' | 'camara' | 'admin' | 'system';
/** `anonymous`: a request rejected before anyone was authenticated; `console_user`: a person signed in to the console. */
type AuditActorType = 'client' | 'admin' | 'system' | 'anonymous' | 'console_user';
type AuditOutcome = 'success' | 'failure';

/** What a module hands to `AuditService.record` (the cross-module contract). */
export interface AuditEventInput {
  action: string;
  contract: AuditContract;
  actorType: AuditActorType;
  actorId?: string;
  clientId?: string;
  credential?: CredentialRef;
  outcome: AuditOutcome;
  httpStatus?: number;
  errorCode?: string;
  serviceType?: string;
  operatorId?: string;
  /** In clear; hashed and masked before anything is written. */
  phoneNumber?: string;
  verdict?: Record<string, unknown>;
  detail?: Record<string, unknown>;
  correlationId?: string;
  // Filled in by the request auditor.
  latencyMs?: number;
  sourceIp?: string;
  userAgent?: string;
  upstream?: UpstreamCall[];
}

/** HMAC-SHA-256 (hex) under the phone pepper: searchable by whoever holds the pepper, not reversible from the database alone. */
export function hashPhoneNumber(pepper: Buffer, phoneNumber: string): string {
  return createHmac('sha256', pepper).update(canonicalPhoneNumber(phoneNumber)).digest('hex');
}

/** A unit's events (one per possible outcome) share their number: it is hashed once. */
function phoneHashOf(
  pepper: Buffer,
  phoneNumber: string,
  memo: Map<string, string> | undefined,
): string {
  let hash = memo?.get(phoneNumber);
  if (hash === undefined) {
    hash = hashPhoneNumber(pepper, phoneNumber);
    memo?.set(phoneNumber, hash);
  }
  return hash;
}

const LIMITS = {
  correlationId: 256,
  clientId: 64,
  credentialKind: 20,
  credentialFingerprint: 100,
  actorType: 20,
  actorId: 100,
  action: 100,
  contract: 20,
  serviceType: 50,
  operatorId: 40,
  errorCode: 100,
  sourceIp: 64,
  userAgent: 512,
} as const;

const INT_MAX = 2_147_483_647;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Makes anything that could carry the phone number in clear carry its masked form instead, and
 * strips NUL and lone surrogates (PostgreSQL text and jsonb reject them): one odd value must not fail a whole batch of events.
 */
function scrubber(phoneNumber: string | undefined): (text: string) => string {
  const digits = phoneNumber ? canonicalPhoneNumber(phoneNumber).replace('+', '') : '';
  // Short inputs are not phone numbers and would mask unrelated digits.
  const clean = (text: string): string =>
    text.split('\u0000').join('').replace(LONE_SURROGATE, '\uFFFD');
  if (digits.length < 6) return clean;
  const masked = maskPhoneNumber(digits);
  return (text) => clean(text).split(digits).join(masked);
}

function scrubDeep(value: unknown, scrub: (text: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object' || depth > 20) {
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  }
  if (Array.isArray(value)) return value.map((entry) => scrubDeep(entry, scrub, depth + 1));
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .map(([key, entry]) => [scrub(key), scrubDeep(entry, scrub, depth + 1)]),
  );
}

/**
 * The stored form of an event, before it gets its chain position: phone number hashed and masked
 * (and scrubbed from every other field), strings cut to their column sizes, integers bounded.
 */
export function toAuditContent(
  input: AuditEventInput,
  phonePepper: Buffer,
  phoneHashes?: Map<string, string>,
): Omit<AuditContent, 'id' | 'occurredAt'> {
  const scrub = scrubber(input.phoneNumber);
  // Wider than AuditEventInput says: some fields are copied from request bodies and DB JSON.
  const text = (value: string | number | null | undefined, limit: number): string | null =>
    value === undefined || value === null ? null : scrub(String(value)).slice(0, limit);
  const integer = (value: number | undefined): number | null =>
    typeof value === 'number' && Number.isFinite(value)
      ? Math.min(Math.max(Math.round(value), 0), INT_MAX)
      : null;
  const json = (value: unknown): unknown =>
    value === undefined || value === null ? null : scrubDeep(value, scrub);
  const phoneNumber =
    typeof input.phoneNumber === 'string' &&
    canonicalPhoneNumber(input.phoneNumber).replace('+', '') !== ''
      ? input.phoneNumber
      : undefined;
  return {
    correlationId: text(input.correlationId, LIMITS.correlationId),
    clientId: text(input.clientId, LIMITS.clientId),
    credentialKind: text(input.credential?.kind, LIMITS.credentialKind),
    credentialFingerprint: text(input.credential?.fingerprint, LIMITS.credentialFingerprint),
    actorType: text(input.actorType, LIMITS.actorType) ?? 'system',
    actorId: text(input.actorId, LIMITS.actorId),
    action: text(input.action, LIMITS.action) ?? 'unknown',
    contract: text(input.contract, LIMITS.contract) ?? 'system',
    serviceType: text(input.serviceType, LIMITS.serviceType),
    operatorId: text(input.operatorId, LIMITS.operatorId),
    phoneHash:
      phoneNumber !== undefined ? phoneHashOf(phonePepper, phoneNumber, phoneHashes) : null,
    // The trail keeps the '+' of the masked form: `+**********67`.
    phoneMasked: phoneNumber !== undefined ? maskPhoneNumber(phoneNumber).slice(0, 32) : null,
    outcome: input.outcome === 'success' ? 'success' : 'failure',
    verdict: json(input.verdict),
    httpStatus: integer(input.httpStatus),
    errorCode: text(input.errorCode, LIMITS.errorCode),
    latencyMs: integer(input.latencyMs),
    sourceIp: text(input.sourceIp, LIMITS.sourceIp),
    userAgent: text(input.userAgent, LIMITS.userAgent),
    upstream: json(input.upstream),
    detail: json(input.detail),
  };
}
