import { Injectable } from '@nestjs/common';
import type { OperatorSecret, Prisma } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

type Tx = Prisma.TransactionClient;

/** Operators' upstream credentials, stored sealed (the service seals and opens them). */
@Injectable()
export class OperatorSecretsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findOperatorSecret(operatorId: string, name: string): Promise<OperatorSecret | null> {
    return this.prisma.client.operatorSecret.findUnique({
      where: { operatorId_name: { operatorId, name } },
    });
  }

  async upsertOperatorSecret(
    operatorId: string,
    name: string,
    sealedValue: string,
    sealedKeyVersion: number,
  ): Promise<void> {
    await this.prisma.client.operatorSecret.upsert({
      where: { operatorId_name: { operatorId, name } },
      create: { operatorId, name, sealedValue, sealedKeyVersion },
      update: { sealedValue, sealedKeyVersion },
    });
  }

  listOperatorSecretsNotUnder(keyVersion: number, tx: Tx): Promise<OperatorSecret[]> {
    return tx.operatorSecret.findMany({ where: { sealedKeyVersion: { not: keyVersion } } });
  }

  async updateOperatorSecretSealed(
    operatorId: string,
    name: string,
    sealedValue: string,
    sealedKeyVersion: number,
    tx: Tx,
  ): Promise<void> {
    await tx.operatorSecret.update({
      where: { operatorId_name: { operatorId, name } },
      data: { sealedValue, sealedKeyVersion },
    });
  }
}
