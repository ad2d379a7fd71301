import { Injectable } from '@nestjs/common';
import { DatabaseLock, waitForLock } from '../../common/database/database-locks.js';
import { PrismaService, type Prisma } from '../../common/database/prisma.service.js';
import type {
  AuditVerificationRun,
  AuditVerificationStatus,
} from '../../generated/prisma/client.js';

export type { AuditVerificationRun } from '../../generated/prisma/client.js';
type Tx = Prisma.TransactionClient;

/** Stored chain checks (only this file touches their table). */
@Injectable()
export class AuditVerificationRunsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.transaction(work);
  }

  lockStarts(tx: Tx): Promise<void> {
    return waitForLock(tx, DatabaseLock.AuditVerificationRunStart);
  }

  create(
    data: { id: string; requestedByType: string; requestedById?: string; now: Date },
    tx: Tx,
  ): Promise<AuditVerificationRun> {
    return tx.auditVerificationRun.create({
      data: {
        id: data.id,
        requestedByType: data.requestedByType,
        requestedById: data.requestedById ?? null,
        startedAt: data.now,
        updatedAt: data.now,
      },
    });
  }

  findById(id: string): Promise<AuditVerificationRun | null> {
    return this.prisma.client.auditVerificationRun.findUnique({ where: { id } });
  }

  findLatest(status?: AuditVerificationStatus[], tx?: Tx): Promise<AuditVerificationRun | null> {
    return (tx ?? this.prisma.client).auditVerificationRun.findFirst({
      where: status ? { status: { in: status } } : {},
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    });
  }

  async recordProgress(
    id: string,
    progress: {
      checked: number;
      total: number;
      fromPosition?: bigint | null;
      headPosition?: bigint;
      headHash?: string;
    },
    now: Date,
  ): Promise<void> {
    await this.prisma.client.auditVerificationRun.update({
      where: { id },
      data: {
        checkedEvents: BigInt(progress.checked),
        totalEvents: BigInt(progress.total),
        updatedAt: now,
        ...(progress.fromPosition !== undefined ? { fromPosition: progress.fromPosition } : {}),
        ...(progress.headPosition !== undefined ? { headPosition: progress.headPosition } : {}),
        ...(progress.headHash !== undefined ? { headHash: progress.headHash } : {}),
      },
    });
  }

  finish(
    id: string,
    result: {
      status: AuditVerificationStatus;
      checked: number;
      total: number;
      fromPosition: bigint | null;
      headPosition: bigint | null;
      headHash: string | null;
      firstBroken: object | null;
      error: string | null;
    },
    now: Date,
    tx: Tx,
  ): Promise<AuditVerificationRun> {
    return tx.auditVerificationRun.update({
      where: { id },
      data: {
        status: result.status,
        checkedEvents: BigInt(result.checked),
        totalEvents: BigInt(result.total),
        fromPosition: result.fromPosition,
        headPosition: result.headPosition,
        headHash: result.headHash,
        firstBroken: result.firstBroken ?? undefined,
        error: result.error,
        finishedAt: now,
        updatedAt: now,
      },
    });
  }
}
