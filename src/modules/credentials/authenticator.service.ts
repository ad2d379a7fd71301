import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AdminRole } from '../../common/auth/auth.decorators.js';
import type {
  AuthenticatedAdmin,
  AuthenticatedClient,
  CredentialRef,
} from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import type { PendingJwtClaim } from '../../common/http/request-context.js';
import { Environment } from '../../common/config/environment.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import { hasValidShape, keyHash, SECRET_PREFIXES } from './credential-format.js';
import { CredentialCache, type CachedCredential } from './credential-cache.js';
import { permissionDenied, unauthenticated } from './credentials.errors.js';
import { decodeJwtHeader, verifyHs256 } from './hs256.js';
import { LastUsedRecorder } from './last-used-recorder.js';

const API_KEY_PREFIXES = [SECRET_PREFIXES.liveApiKey, SECRET_PREFIXES.sandboxApiKey];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_JWT_BYTES = 4_096;
const MAX_HEADER_LENGTH = 4_096;

export interface SdkToken {
  token: string;
  expiresAt: Date;
}

interface SdkTokenPayload {
  /** Client id. */
  c: string;
  /** API key credential that minted it: revoking the key ends its tokens too. */
  k: string;
  /** Expiry, Unix seconds. */
  e: number;
}

/**
 * Checks presented credentials. Every failure throws the same `unauthenticated()` error, and the
 * unknown-client and wrong-key paths do the same work: one keyed hash, one (cached) lookup by
 * that hash, one constant-time comparison of fixed-length digests.
 */
@Injectable()
export class Authenticator {
  private readonly sdkTokenKey: Buffer;
  /** The client's rate limit, as read with the credential (no second lookup for the guard). */
  private readonly rateLimits = new WeakMap<AuthenticatedClient, number>();
  /** Stands in for the key of an unknown kid, so an unknown kid costs a signature check too. */
  private readonly decoyJwtKey = randomBytes(43);

  constructor(
    private readonly cache: CredentialCache,
    private readonly secrets: ServerSecrets,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly lastUsed: LastUsedRecorder,
  ) {
    // A key derived for SDK tokens only, so a token MAC can never be confused with a key hash.
    this.sdkTokenKey = createHmac('sha256', secrets.apiKeyPepper)
      .update('mig sdk token v1')
      .digest();
  }

  async apiKey(
    clientIdHeader: string | undefined,
    apiKeyHeader: string | undefined,
  ): Promise<AuthenticatedClient> {
    if (!isPlausible(clientIdHeader) || !isPlausible(apiKeyHeader)) throw unauthenticated();
    // A typo (checksum) or a foreign string fails here, before any query.
    if (!hasValidShape(apiKeyHeader, API_KEY_PREFIXES)) throw unauthenticated();
    const record = await this.cache.byHash(keyHash(this.secrets.apiKeyPepper, apiKeyHeader));
    return this.acceptClient(record, clientIdHeader, 'API_KEY', 'api_key');
  }

  async sdkToken(
    clientIdHeader: string | undefined,
    tokenHeader: string | undefined,
  ): Promise<AuthenticatedClient> {
    if (!isPlausible(clientIdHeader) || !isPlausible(tokenHeader)) throw unauthenticated();
    const payload = this.openSdkToken(tokenHeader);
    if (!payload || payload.e * 1000 <= this.clock.now().getTime() || !UUID.test(payload.k))
      throw unauthenticated();
    if (!this.cache.sameClient(payload.c, clientIdHeader)) throw unauthenticated();
    const minter = await this.cache.byId(payload.k);
    return this.acceptClient(minter, clientIdHeader, 'API_KEY', 'sdk_token');
  }

  mintSdkToken(caller: AuthenticatedClient): SdkToken {
    const expiresAt = new Date(
      this.clock.now().getTime() + this.environment.SDK_TOKEN_TTL_SECONDS * 1000,
    );
    const payload: SdkTokenPayload = {
      c: caller.clientId,
      k: caller.credential.id,
      e: Math.floor(expiresAt.getTime() / 1000),
    };
    const body = `${SECRET_PREFIXES.sdkToken}${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return { token: `${body}.${this.sdkMac(body).toString('base64url')}`, expiresAt };
  }

  /**
   * Identity Match style HS256 JWT. The header is inspected before any lookup (alg, kid as a UUID,
   * no `crit`, not a JWE); jose then verifies with exactly HS256. `jku`/`x5u`/`jwk` are never read.
   */
  async jwt(
    authorization: string | undefined,
  ): Promise<{ client: AuthenticatedClient; jwtClaim?: PendingJwtClaim }> {
    const token = bearer(authorization);
    if (
      token === undefined ||
      Buffer.byteLength(token) > MAX_JWT_BYTES ||
      token.split('.').length !== 3
    )
      throw unauthenticated();
    const header = decodeJwtHeader(token);
    const kid = header?.kid;
    if (
      !header ||
      header.alg !== 'HS256' ||
      'crit' in header ||
      'enc' in header ||
      typeof kid !== 'string' ||
      !UUID.test(kid)
    ) {
      throw unauthenticated();
    }
    const record = await this.cache.byId(kid.toLowerCase());
    const now = this.clock.now();
    const usable =
      record !== null &&
      record.kind === 'JWT_KEY' &&
      record.jwtSecret !== undefined &&
      this.cache.isUsable(record, now);
    const tolerance = this.environment.JWT_CLOCK_TOLERANCE_SECONDS;
    const maxLifetime = this.environment.JWT_MAX_LIFETIME_SECONDS;
    // Also refuses an iat in the future beyond the tolerance.
    const claims = verifyHs256(
      token,
      usable ? (record.jwtSecret ?? this.decoyJwtKey) : this.decoyJwtKey,
      { toleranceSeconds: tolerance, maxAgeSeconds: maxLifetime, now },
    );
    if (!claims) throw unauthenticated();
    if (!usable) throw unauthenticated();
    const { iat, exp } = claims;
    if (exp - iat > maxLifetime || iat > now.getTime() / 1000 + tolerance) throw unauthenticated();
    let jwtClaim: PendingJwtClaim | undefined;
    if (claims.jti !== undefined) {
      if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 200)
        throw unauthenticated();
      // Kept until the token could no longer be accepted anyway.
      jwtClaim = {
        keyId: record.id,
        jti: claims.jti,
        expiresAt: new Date((exp + tolerance) * 1000),
      };
    }
    return {
      client: this.acceptClient(record, record.clientId ?? '', 'JWT_KEY', 'jwt_key'),
      jwtClaim,
    };
  }

  async admin(authorization: string | undefined, required: AdminRole): Promise<AuthenticatedAdmin> {
    const key = bearer(authorization);
    if (key === undefined || !hasValidShape(key, [SECRET_PREFIXES.adminKey]))
      throw unauthenticated();
    const record = await this.cache.byHash(keyHash(this.secrets.apiKeyPepper, key));
    if (
      record === null ||
      record.kind !== 'ADMIN_KEY' ||
      record.role === null ||
      !this.cache.isUsable(record, this.clock.now())
    ) {
      throw unauthenticated();
    }
    const role: AdminRole = record.role === 'ADMIN' ? 'admin' : 'auditor';
    // An admin may do everything an auditor may; an auditor only reads the audit trail.
    if (required === 'admin' && role !== 'admin') throw permissionDenied();
    this.lastUsed.touch(record.id);
    return {
      kind: 'admin',
      role,
      credential: { kind: 'admin_key', id: record.id, fingerprint: record.fingerprint },
    };
  }

  private acceptClient(
    record: CachedCredential | null,
    presentedClientId: string,
    expectedKind: CachedCredential['kind'],
    refKind: CredentialRef['kind'],
  ): AuthenticatedClient {
    // Compared even when nothing was found, so both paths cost the same.
    const sameClient = this.cache.sameClient(record?.clientId ?? '', presentedClientId);
    if (
      !sameClient ||
      record === null ||
      record.kind !== expectedKind ||
      record.client === null ||
      !this.cache.isUsable(record, this.clock.now())
    ) {
      throw unauthenticated();
    }
    this.lastUsed.touch(record.id);
    const caller: AuthenticatedClient = {
      kind: 'client',
      clientId: record.client.id,
      environment: record.client.environment,
      products: [...record.client.products],
      credential: { kind: refKind, id: record.id, fingerprint: record.fingerprint },
    };
    this.rateLimits.set(caller, record.client.rateLimitPerMinute);
    return caller;
  }

  rateLimitOf(caller: AuthenticatedClient): number | undefined {
    return this.rateLimits.get(caller);
  }

  private openSdkToken(token: string): SdkTokenPayload | undefined {
    if (!token.startsWith(SECRET_PREFIXES.sdkToken)) return undefined;
    const dot = token.lastIndexOf('.');
    if (dot < 0) return undefined;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.sdkMac(body);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    try {
      const payload = JSON.parse(
        Buffer.from(body.slice(SECRET_PREFIXES.sdkToken.length), 'base64url').toString('utf8'),
      ) as SdkTokenPayload;
      return typeof payload.c === 'string' &&
        typeof payload.k === 'string' &&
        typeof payload.e === 'number'
        ? payload
        : undefined;
    } catch {
      return undefined;
    }
  }

  private sdkMac(body: string): Buffer {
    return createHmac('sha256', this.sdkTokenKey).update(body).digest();
  }
}

function isPlausible(value: string | undefined): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_HEADER_LENGTH;
}

function bearer(authorization: string | undefined): string | undefined {
  if (!isPlausible(authorization)) return undefined;
  // RFC 9110 §11.1: the scheme name is case-insensitive ("bearer", "BEARER"), then one or more spaces.
  const match = /^Bearer +([^\s]+)$/i.exec(authorization);
  return match?.[1];
}
