import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The shapes of the secrets the gateway issues. Each has a recognisable prefix (secret scanners,
 * and people, can tell what leaked) and, where a person may type it, a CRC32 checksum suffix so a
 * typo is refused before any database query (the GitHub token design).
 */
export const SECRET_PREFIXES = {
  liveApiKey: 'mig_live_',
  sandboxApiKey: 'mig_test_',
  clientSecret: 'mig_secret_',
  adminKey: 'mig_admin_',
  sdkToken: 'mig_sdk_',
} as const;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_BYTES = 32; // 256 bits of randomness
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))

/** Fixed-width base62: no separators, so a double click selects the whole key. */
function base62(bytes: Buffer, width: number): string {
  let value = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (value > 0n) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(width, '0');
}

function checksum(text: string): string {
  const value = crc32(Buffer.from(text, 'utf8'));
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return base62(bytes, CHECKSUM_LENGTH);
}

/** `<prefix><43 base62 random><6 base62 CRC32 of prefix+body>`. */
export function generateSecret(prefix: string): string {
  const body = `${prefix}${base62(randomBytes(SECRET_BYTES), BODY_LENGTH)}`;
  return `${body}${checksum(body)}`;
}

/** Shape and checksum only: a typo or a foreign string is refused without touching the database. */
export function hasValidShape(secret: string, prefixes: readonly string[]): boolean {
  const prefix = prefixes.find((candidate) => secret.startsWith(candidate));
  if (!prefix) return false;
  if (secret.length !== prefix.length + BODY_LENGTH + CHECKSUM_LENGTH) return false;
  const rest = secret.slice(prefix.length);
  if (!/^[0-9A-Za-z]+$/.test(rest)) return false;
  const body = secret.slice(0, secret.length - CHECKSUM_LENGTH);
  const expected = Buffer.from(checksum(body));
  const actual = Buffer.from(secret.slice(secret.length - CHECKSUM_LENGTH));
  return timingSafeEqual(expected, actual);
}

/** A JWT signing secret as the seed shows them: plain alphanumerics, ≥ 256 bits. */
export function generateJwtSecret(): string {
  return base62(randomBytes(SECRET_BYTES), BODY_LENGTH);
}

export function generateClientId(): string {
  return `cli_${base62(randomBytes(16), 22)}`;
}

/** The keyed hash stored instead of a secret. Fixed length, so comparisons are constant-time. */
export function keyHash(pepper: Buffer, secret: string): string {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest('hex');
}

/**
 * A short public identifier of a secret: the first 16 hex digits of its SHA-256. Unkeyed on
 * purpose, so a client can tell which of its keys a listing means (`printf %s KEY | sha256sum`).
 */
export function fingerprintOf(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}
