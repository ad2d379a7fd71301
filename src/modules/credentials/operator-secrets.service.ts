import { Injectable } from '@nestjs/common';
import { GatewaySecretsRepository } from './gateway-secrets.repository.js';
import { SecretBox } from './secret-box.js';

const CACHE_TTL_MS = 5_000;

/**
 * Operators' upstream credentials (API keys, OAuth client secrets), sealed with SecretBox at rest.
 * Opened values are kept in memory briefly so a burst of upstream calls does not decrypt each time;
 * a change made on another instance is seen within that bound.
 */
@Injectable()
export class OperatorSecretsService {
  private readonly cache = new Map<string, { value: string | undefined; loadedAt: number }>();

  constructor(
    private readonly repository: GatewaySecretsRepository,
    private readonly box: SecretBox,
  ) {}

  async put(operatorId: string, name: string, value: string): Promise<void> {
    const sealed = this.box.seal(value);
    await this.repository.upsertOperatorSecret(operatorId, name, sealed.ciphertext, sealed.keyVersion);
    this.cache.delete(cacheKey(operatorId, name));
  }

  async get(operatorId: string, name: string): Promise<string | undefined> {
    const key = cacheKey(operatorId, name);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.loadedAt < CACHE_TTL_MS) return cached.value;
    const row = await this.repository.findOperatorSecret(operatorId, name);
    const value = row ? this.box.open({ ciphertext: row.sealedValue, keyVersion: row.sealedKeyVersion }) : undefined;
    this.cache.set(key, { value, loadedAt: Date.now() });
    return value;
  }
}

function cacheKey(operatorId: string, name: string): string {
  return `${operatorId}\u0000${name}`;
}
