import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DatabaseLock, tryLock } from '../../common/database/database-locks.js';
import { PrismaService } from '../../common/database/prisma.service.js';
import { AuditService } from '../audit/audit.service.js';

export interface ResealReport {
  skipped: boolean;
  /** Rows re-sealed under `keyVersion`, over every sealed store. */
  resealed: number;
  keyVersion: number;
}

/**
 * Rotation of the key-encryption key: every row sealed under an older SECRET_ENCRYPTION_KEYS
 * version is re-sealed under the current one, by the store that owns it (any provider marked
 * `@SealedStore()`), all in one transaction with one `secrets.reseal` audit event. On one instance
 * at a time (a transaction-scoped advisory lock; another instance skips); idempotent.
 */
@Injectable()
export class SecretsResealService implements OnApplicationBootstrap {
  private stores: { name: string; rows: SealedRows }[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly prisma: PrismaService,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    this.stores = this.discovery
      .getProviders({ metadataKey: SealedStore.KEY })
      .filter((wrapper) => wrapper.isDependencyTreeStatic() && wrapper.instance !== undefined)
      .map((wrapper) => ({
        name: this.discovery.getMetadataByDecorator(SealedStore, wrapper) ?? String(wrapper.name),
        rows: wrapper.instance as SealedRows,
      }))
      // A fixed order, so two runs lock rows in the same order.
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The names of the stores the job covers (for its tests and the docs). */
  storeNames(): string[] {
    return this.stores.map((store) => store.name);
  }

  resealAll(): Promise<ResealReport> {
    const keyVersion = this.box.currentKeyVersion;
    return this.prisma.transaction(async (tx) => {
      if (!(await tryLock(tx, DatabaseLock.SecretsReseal)))
        return { skipped: true, resealed: 0, keyVersion };
      let resealed = 0;
      for (const store of this.stores) resealed += await store.rows.resealStale(tx);
      if (resealed > 0) {
        await this.audit.record(
          {
            action: 'secrets.reseal',
            contract: 'system',
            actorType: 'system',
            outcome: 'success',
            detail: { count: resealed, keyVersion },
          },
          tx,
        );
      }
      return { skipped: false, resealed, keyVersion };
    }, 120_000);
  }
}
