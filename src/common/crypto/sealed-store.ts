import { DiscoveryService } from '@nestjs/core';
import type { Prisma } from '../database/prisma.service.js';

/**
 * A table whose rows hold secrets sealed with SecretBox. Each module that keeps such rows owns one
 * store (it knows the columns, and seals with the same global SecretBox); the re-seal job finds
 * them all through the `@SealedStore()` marker, so a new sealed table joins the rotation of
 * key-encryption keys by declaring itself, not by editing the job.
 */
export interface SealedRows {
  /**
   * Re-seals, inside `tx`, every row not sealed under the current key-encryption key, and returns
   * how many it changed. Idempotent: a second call finds none.
   */
  resealStale(tx: Prisma.TransactionClient): Promise<number>;
}

/** Marks a provider as a sealed store (it must implement `SealedRows`); the value names it. */
export const SealedStore = DiscoveryService.createDecorator<string>();
