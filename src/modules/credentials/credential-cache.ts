import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ClientEnvironment, ClientProduct } from '../../common/auth/caller.js';
import { Environment } from '../../common/config/environment.js';
import {
  CredentialsRepository,
  type AdminRole,
  type CredentialKind,
  type CredentialWithClient,
} from './credentials.repository.js';
import { SecretBox } from './secret-box.js';

/** What authentication needs to know about a credential; for a JWT key, its opened secret. */
export interface CachedCredential {
  id: string;
  kind: CredentialKind;
  clientId: string | null;
  fingerprint: string;
  role: AdminRole | null;
  active: boolean;
  expiresAt: number | null;
  client: {
    id: string;
    environment: ClientEnvironment;
    products: ClientProduct[];
    active: boolean;
    rateLimitPerMinute: number;
  } | null;
  jwtSecret?: Uint8Array;
}

const MAX_ENTRIES = 10_000;

/**
 * Credential lookups, remembered for at most CREDENTIAL_CACHE_TTL_MS (≤ 5 s). That TTL is the
 * documented bound on how long a revocation or suspension made on another instance can go
 * unnoticed here; changes made on this instance clear the cache at once. Misses are remembered
 * too, so a flood of wrong keys costs one query per key per TTL.
 */
@Injectable()
export class CredentialCache {
  private readonly entries = new Map<string, { value: CachedCredential | null; loadedAt: number }>();
  private readonly inFlight = new Map<string, Promise<CachedCredential | null>>();
  /** Per-process key for comparing identifiers through fixed-length digests. */
  private readonly compareKey = randomBytes(32);

  constructor(
    private readonly repository: CredentialsRepository,
    private readonly box: SecretBox,
    private readonly environment: Environment,
  ) {}

  byHash(hash: string): Promise<CachedCredential | null> {
    return this.load(`h:${hash}`, () => this.repository.findCredentialByHash(hash));
  }

  byId(id: string): Promise<CachedCredential | null> {
    return this.load(`i:${id}`, () => this.repository.findCredentialById(id));
  }

  clear(): void {
    this.entries.clear();
  }

  isUsable(record: CachedCredential, now: Date): boolean {
    return (
      record.active &&
      (record.expiresAt === null || record.expiresAt > now.getTime()) &&
      (record.client === null || record.client.active)
    );
  }

  /** Constant-time comparison of two client ids of any length. */
  sameClient(left: string, right: string): boolean {
    const a = createHmac('sha256', this.compareKey).update(left).digest();
    const b = createHmac('sha256', this.compareKey).update(right).digest();
    return timingSafeEqual(a, b);
  }

  private async load(key: string, fetch: () => Promise<CredentialWithClient | null>): Promise<CachedCredential | null> {
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.loadedAt < this.environment.CREDENTIAL_CACHE_TTL_MS) return cached.value;
    // Concurrent requests with the same credential share one query.
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const loading = fetch()
      .then((row) => {
        const value = row ? this.toCached(row) : null;
        if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
        this.entries.set(key, { value, loadedAt: Date.now() });
        return value;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, loading);
    return loading;
  }

  private toCached(row: CredentialWithClient): CachedCredential {
    return {
      id: row.id,
      kind: row.kind,
      clientId: row.clientId,
      fingerprint: row.fingerprint,
      role: row.role,
      active: row.status === 'ACTIVE',
      expiresAt: row.expiresAt?.getTime() ?? null,
      client: row.client
        ? {
            id: row.client.id,
            environment: row.client.environment,
            products: row.client.products,
            active: row.client.status === 'ACTIVE',
            rateLimitPerMinute: row.client.rateLimitPerMinute,
          }
        : null,
      jwtSecret:
        row.kind === 'JWT_KEY' && row.sealedSecret !== null && row.sealedKeyVersion !== null
          ? new TextEncoder().encode(this.box.open({ ciphertext: row.sealedSecret, keyVersion: row.sealedKeyVersion }))
          : undefined,
    };
  }
}
