import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import type { Prisma } from '../../common/database/prisma.service.js';
import { OperatorSecretsRepository } from './operator-secrets.repository.js';

const CACHE_TTL_MS = 5_000;

/**
 * Operators' upstream credentials (API keys, OAuth client secrets), sealed with SecretBox at rest.
 * Opened values are kept in memory briefly so a burst of upstream calls does not decrypt each time;
 * a change made on another instance is seen within that bound.
 */
@Injectable()
@SealedStore('operator_secret')
export class OperatorSecretsService implements SealedRows {
  /** Opened values by operator and name (an unset secret as `{ value: undefined }`); concurrent reads share a query. */
  private readonly cache = new LRUCache<string, { value: string | undefined }>({
    max: 1_000,
    ttlResolution: 0, // the clock on every lookup, as CredentialCache
    ttl: CACHE_TTL_MS,
    fetchMethod: async (key) => {
      const [operatorId, name] = key.split('\u0000') as [string, string];
      const row = await this.repository.findOperatorSecret(operatorId, name);
      return {
        value: row
          ? this.box.open({ ciphertext: row.sealedValue, keyVersion: row.sealedKeyVersion })
          : undefined,
      };
    },
    // A read in flight when put() replaces the secret answers its caller but is not kept.
    ignoreFetchAbort: true,
  });

  constructor(
    private readonly repository: OperatorSecretsRepository,
    private readonly box: SecretBox,
  ) {}

  async put(operatorId: string, name: string, value: string): Promise<void> {
    const sealed = this.box.seal(value);
    await this.repository.upsertOperatorSecret(
      operatorId,
      name,
      sealed.ciphertext,
      sealed.keyVersion,
    );
    this.cache.delete(cacheKey(operatorId, name));
  }

  async get(operatorId: string, name: string): Promise<string | undefined> {
    return (await this.cache.fetch(cacheKey(operatorId, name)))?.value;
  }

  async resealStale(tx: Prisma.TransactionClient): Promise<number> {
    const rows = await this.repository.listOperatorSecretsNotUnder(this.box.currentKeyVersion, tx);
    for (const row of rows) {
      const sealed = this.box.seal(
        this.box.open({ ciphertext: row.sealedValue, keyVersion: row.sealedKeyVersion }),
      );
      await this.repository.updateOperatorSecretSealed(
        row.operatorId,
        row.name,
        sealed.ciphertext,
        sealed.keyVersion,
        tx,
      );
    }
    return rows.length;
  }
}

function cacheKey(operatorId: string, name: string): string {
  return `${operatorId}\u0000${name}`;
}
