import { SignJWT } from 'jose';

export interface JwtCredentials {
  /** The JWT key id (`kid`, a UUID), issued with the client. */
  keyId: string;
  /** The JWT secret (HS256 key), issued with the client. */
  secret: string;
  /** `exp − iat` in seconds (default 60, as the Identity Match documentation shows; the gateway accepts ≤ 300). */
  lifetimeSeconds?: number;
}

/**
 * A token exactly as the Identity Match documentation describes it: header
 * `{"alg":"HS256","typ":"JWT","kid":<key id>}`, payload `{iat, nbf = iat, exp = iat + lifetime}` in
 * Unix seconds, signed with the secret's UTF-8 bytes. One per request, so a retry never reuses an
 * expired token.
 */
export function signClientJwt(
  credentials: JwtCredentials,
  now: Date = new Date(),
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: credentials.keyId })
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + (credentials.lifetimeSeconds ?? 60))
    .sign(new TextEncoder().encode(credentials.secret));
}
