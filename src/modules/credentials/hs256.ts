import { createHmac, timingSafeEqual } from 'node:crypto';

/** The registered claims the gateway checks; the rest of the payload is ignored. */
export interface Hs256Claims {
  iat: number;
  exp: number;
  nbf: number;
  jti?: unknown;
}

export interface Hs256Policy {
  /** Seconds of clock skew accepted on exp, nbf and iat. */
  toleranceSeconds: number;
  /** Oldest accepted iat, in seconds before now (jose's maxTokenAge). */
  maxAgeSeconds: number;
  now: Date;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

function jsonObject(segment: string): Record<string, unknown> | undefined {
  if (!SEGMENT.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The protected header of a compact JWS, or undefined when it is not a JSON object. */
export function decodeJwtHeader(token: string): Record<string, unknown> | undefined {
  return jsonObject(token.slice(0, token.indexOf('.')));
}

/**
 * Verifies a compact HS256 JWS (RFC 7515/7519) and its time claims, the checks jose's jwtVerify
 * makes with `algorithms: ['HS256']`, `requiredClaims: ['exp', 'iat', 'nbf']` and `maxTokenAge`.
 * On node:crypto's HMAC because jose signs through WebCrypto, whose per-call key import and async
 * hop cost more than the request's other crypto; the unit tests check it against jose token by
 * token. The signature is compared in constant time and always computed, so an unknown key
 * (verified against a decoy) takes as long as a wrong signature.
 */
export function verifyHs256(
  token: string,
  secret: Uint8Array,
  policy: Hs256Policy,
): Hs256Claims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !SEGMENT.test(parts[2])) return undefined;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const header = jsonObject(parts[0]);
  if (header?.alg !== 'HS256' || header.b64 === false) return undefined;
  const payload = jsonObject(parts[1]);
  if (!payload) return undefined;
  const { iat, exp, nbf } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof nbf !== 'number')
    return undefined;
  if (!Number.isFinite(iat) || !Number.isFinite(exp) || !Number.isFinite(nbf)) return undefined;
  const now = Math.floor(policy.now.getTime() / 1000);
  const tolerance = policy.toleranceSeconds;
  if (exp <= now - tolerance || nbf > now + tolerance) return undefined;
  if (iat - tolerance > now || now - iat > policy.maxAgeSeconds + tolerance) return undefined;
  return { iat, exp, nbf, jti: payload.jti };
}
