import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { ClientEnvironment, ClientProduct } from '../../common/auth/caller.js';
import { Environment } from '../../common/config/environment.js';
import {
  CredentialsRepository,
  type AdminRole,
  type CredentialKind,
  type CredentialWithClient,
} from './credentials.repository.js';
import { SecretBox } from '../../common/crypto/secret-box.js';

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

/** A lookup's result; a miss (`null`) is remembered as well, which the cache cannot hold bare. */
interface Entry {
  value: CachedCredential | null;
}

/**
 * Credential lookups, remembered for at most CREDENTIAL_CACHE_TTL_MS (≤ 5 s). That TTL is the
 * documented bound on how long a revocation or suspension made on another instance can go
 * unnoticed here; changes made on this instance clear the cache at once. Misses are remembered
 * too, so a flood of wrong keys costs one query per key per TTL. At MAX_ENTRIES the least
 * recently used entry goes, so such a flood cannot push out the credentials in use.
 */
@Injectable()
export class CredentialCache {
  private readonly entries: LRUCache<string, Entry>;
  /** CREDENTIAL_CACHE_TTL_MS = 0 caches nothing (lru-cache reads a ttl of 0 as "forever"). */
  private readonly refreshEveryTime: boolean;
  /** Per-process key for comparing identifiers through fixed-length digests. */
  private readonly compareKey = randomBytes(32);

  constructor(
    private readonly repository: CredentialsRepository,
    private readonly box: SecretBox,
    environment: Environment,
  ) {
    this.refreshEveryTime = environment.CREDENTIAL_CACHE_TTL_MS === 0;
    this.entries = new LRUCache<string, Entry>({
      max: MAX_ENTRIES,
      // Read the clock on every lookup (lru-cache's default caches it for 1 ms, until a timer
      // fires, which event-loop lag delays), so an entry never outlives its TTL.
      ttlResolution: 0,
      ...(!this.refreshEveryTime && { ttl: environment.CREDENTIAL_CACHE_TTL_MS }),
      // Concurrent requests with the same credential share one query (fetch joins a load in flight).
      fetchMethod: async (key) => {
        const lookup = key.slice(2);
        const row = key.startsWith('h:')
          ? await this.repository.findCredentialByHash(lookup)
          : await this.repository.findCredentialById(lookup);
        return { value: row ? this.toCached(row) : null };
      },
      // A load in flight when the cache is cleared still answers its callers, but is not stored:
      // it may have read the credential from before the change that cleared the cache.
      ignoreFetchAbort: true,
    });
  }

  byHash(hash: string): Promise<CachedCredential | null> {
    return this.load(`h:${hash}`);
  }

  byId(id: string): Promise<CachedCredential | null> {
    return this.load(`i:${id}`);
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

  private async load(key: string): Promise<CachedCredential | null> {
    const entry = await this.entries.fetch(key, { forceRefresh: this.refreshEveryTime });
    // fetchMethod always returns an entry; undefined would only mean an aborted load.
    return entry?.value ?? null;
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
          ? new TextEncoder().encode(
              this.box.open({ ciphertext: row.sealedSecret, keyVersion: row.sealedKeyVersion }),
            )
          : undefined,
    };
  }
}
