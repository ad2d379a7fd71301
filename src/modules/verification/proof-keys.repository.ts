import { Injectable } from '@nestjs/common';
import type { Prisma, ProofKey } from '../../generated/prisma/client.js';
import { DatabaseLock, waitForLock } from '../../common/database/database-locks.js';
import { PrismaService } from '../../common/database/prisma.service.js';

export type Tx = Prisma.TransactionClient;

/** The keys proofs are encrypted with, stored sealed (the service seals and opens them). */
@Injectable()
export class ProofKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One transaction: a key change and its audit event commit or fail together. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.transaction(work);
  }

  findNewestProofKey(tx?: Tx): Promise<ProofKey | null> {
    return (tx ?? this.prisma.client).proofKey.findFirst({
      where: { retiredAt: null },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
  }

  findProofKey(id: string): Promise<ProofKey | null> {
    return this.prisma.client.proofKey.findUnique({ where: { id } });
  }

  async retireProofKeys(at: Date, tx: Tx): Promise<void> {
    await tx.proofKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: at } });
  }

  async insertProofKey(
    id: string,
    sealedKey: string,
    sealedKeyVersion: number,
    createdAt: Date,
    tx: Tx,
  ): Promise<void> {
    await tx.proofKey.create({ data: { id, sealedKey, sealedKeyVersion, createdAt } });
  }

  listProofKeysNotUnder(keyVersion: number, tx: Tx): Promise<ProofKey[]> {
    return tx.proofKey.findMany({ where: { sealedKeyVersion: { not: keyVersion } } });
  }

  async updateProofKeySealed(
    id: string,
    sealedKey: string,
    sealedKeyVersion: number,
    tx: Tx,
  ): Promise<void> {
    await tx.proofKey.update({ where: { id }, data: { sealedKey, sealedKeyVersion } });
  }

  /** Locks proof-key creation for the transaction, so two instances never both create the first key. */
  lockProofKeys(tx: Tx): Promise<void> {
    return waitForLock(tx, DatabaseLock.ProofKeyCreation);
  }
}
