import type { INestApplicationContext } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { ClientEnvironment, ClientProduct } from '../../src/common/auth/caller.js';
import { CLIENT_PRODUCTS } from '../../src/common/auth/caller.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';

/** Test data for anything that needs an authenticated caller (any module's tests may use it). */
export interface ClientOverrides {
  name?: string;
  environment?: ClientEnvironment;
  products?: ClientProduct[];
  rateLimitPerMinute?: number;
}

/** A client with every product, made through the real service; secrets as shown once. */
export function createTestClient(
  app: INestApplicationContext,
  overrides: ClientOverrides = {},
): Promise<CreatedClient> {
  return app.get(ClientManagementService).createClient({
    name: overrides.name ?? 'Test client',
    environment: overrides.environment ?? 'SANDBOX',
    products: overrides.products ?? [...CLIENT_PRODUCTS],
    rateLimitPerMinute: overrides.rateLimitPerMinute,
  });
}

export function createTestAdminKey(
  app: INestApplicationContext,
  role: 'admin' | 'auditor' = 'admin',
): Promise<{ id: string; key: string }> {
  return app.get(CredentialIssuanceService).createAdminKey(role);
}

/** Headers of the Authmatech contract (`X-CLIENT-ID` + `X-API-KEY`). */
export function apiKeyHeaders(
  client: Pick<CreatedClient, 'clientId' | 'apiKey'>,
): Record<string, string> {
  return { 'x-client-id': client.clientId, 'x-api-key': client.apiKey };
}

export interface JwtOptions {
  /** Issued-at, Unix seconds (default: now). */
  iat?: number;
  /** exp − iat in seconds (default 60, as in the seed). */
  lifetimeSeconds?: number;
  jti?: string;
  /** Extra or replaced header fields. */
  header?: Record<string, unknown>;
  /** Signs with this instead of the client's JWT secret (a forged token). */
  secret?: string;
}

/**
 * The one test JWT signer. An Identity Match style token exactly as the seed describes it (header alg/typ/kid, payload
 * iat = nbf, exp = iat + 60), built with `jsonwebtoken`, a different library than the gateway's.
 */
export function signIdentityMatchJwt(
  client: Pick<CreatedClient, 'jwtKeyId' | 'jwtSecret'>,
  options: JwtOptions = {},
): string {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iat,
    nbf: iat,
    exp: iat + (options.lifetimeSeconds ?? 60),
  };
  if (options.jti !== undefined) payload.jti = options.jti;
  return jwt.sign(payload, options.secret ?? client.jwtSecret, {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId, ...options.header },
  });
}

/** `Authorization: Bearer <seed-shaped JWT>`. */
export function jwtHeaders(
  client: Pick<CreatedClient, 'jwtKeyId' | 'jwtSecret'>,
  options: JwtOptions = {},
): Record<string, string> {
  return { authorization: `Bearer ${signIdentityMatchJwt(client, options)}` };
}
