import { Injectable } from '@nestjs/common';
import type { OperatorSecret, ProofKey } from '../../generated/prisma/client.js';
import { DatabaseLock, waitForLock } from '../../common/database/database-locks.js';
import { PrismaService } from '../../common/database/prisma.service.js';
import type { Tx } from '../credentials/credentials.repository.js';

/** The gateway's own secrets: operators' upstream credentials and proof keys, all sealed. */
@Injectable()
export class GatewaySecretsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findOperatorSecret(operatorId: string, name: string): Promise<OperatorSecret | null> {
    return this.prisma.client.operatorSecret.findUnique({ where: { operatorId_name: { operatorId, name } } });
  }

  async upsertOperatorSecret(operatorId: string, name: string, sealedValue: string, sealedKeyVersion: number): Promise<void> {
    await this.prisma.client.operatorSecret.upsert({
      where: { operatorId_name: { operatorId, name } },
      create: { operatorId, name, sealedValue, sealedKeyVersion },
      update: { sealedValue, sealedKeyVersion },
    });
  }

  listOperatorSecretsNotUnder(keyVersion: number, tx: Tx): Promise<OperatorSecret[]> {
    return tx.operatorSecret.findMany({ where: { sealedKeyVersion: { not: keyVersion } } });
  }

  async updateOperatorSecretSealed(operatorId: string, name: string, sealedValue: string, sealedKeyVersion: number, tx: Tx): Promise<void> {
    await tx.operatorSecret.update({ where: { operatorId_name: { operatorId, name } }, data: { sealedValue, sealedKeyVersion } });
  }

  findNewestProofKey(tx?: Tx): Promise<ProofKey | null> {
    return (tx ?? this.prisma.client).proofKey.findFirst({ where: { retiredAt: null }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  findProofKey(id: string): Promise<ProofKey | null> {
    return this.prisma.client.proofKey.findUnique({ where: { id } });
  }

  async retireProofKeys(at: Date, tx: Tx): Promise<void> {
    await tx.proofKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: at } });
  }

  async insertProofKey(id: string, sealedKey: string, sealedKeyVersion: number, createdAt: Date, tx: Tx): Promise<void> {
    await tx.proofKey.create({ data: { id, sealedKey, sealedKeyVersion, createdAt } });
  }

  listProofKeysNotUnder(keyVersion: number, tx: Tx): Promise<ProofKey[]> {
    return tx.proofKey.findMany({ where: { sealedKeyVersion: { not: keyVersion } } });
  }

  async updateProofKeySealed(id: string, sealedKey: string, sealedKeyVersion: number, tx: Tx): Promise<void> {
    await tx.proofKey.update({ where: { id }, data: { sealedKey, sealedKeyVersion } });
  }

  /** Locks proof-key creation for the transaction, so two instances never both create the first key. */
  lockProofKeys(tx: Tx): Promise<void> {
    return waitForLock(tx, DatabaseLock.ProofKeyCreation);
  }
}
