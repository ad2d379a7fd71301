import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../common/database/prisma.service.js';
import { DatabaseLock, tryLock } from '../../common/database/database-locks.js';

/** A claimed key and, once its unit committed, the answer stored with it. */
export interface StoredKey {
  digest: string;
  answer: {
    status: number;
    bodySealed: string;
    keyVersion: number;
    eventId: string | null;
    correlationId: string | null;
  } | null;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The caller's key if claimed and not expired. Claims are written only by the audit unit of work. */
  async find(scope: string, key: string, now: Date): Promise<StoredKey | undefined> {
    const claim = await this.prisma.client.idempotencyKey.findUnique({
      where: { scope_key: { scope, key } },
    });
    if (!claim || claim.expiresAt <= now) return undefined;
    const answer = await this.prisma.client.idempotencyResponse.findUnique({
      where: { scope_key: { scope, key } },
    });
    return {
      digest: claim.requestDigest,
      answer: answer && {
        status: answer.status,
        bodySealed: answer.bodySealed,
        keyVersion: answer.keyVersion,
        eventId: answer.eventId === null ? null : answer.eventId.toString(),
        correlationId: answer.correlationId,
      },
    };
  }

  /** Deletes keys (and their answers) expired by `now`, under a job lock so one instance does it. */
  async purgeExpired(now: Date): Promise<{ skipped: boolean; keys: number }> {
    return this.prisma.client.$transaction(async (tx) => {
      if (!(await tryLock(tx, DatabaseLock.IdempotencyPurge))) return { skipped: true, keys: 0 };
      await tx.idempotencyResponse.deleteMany({ where: { expiresAt: { lte: now } } });
      const { count } = await tx.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } });
      return { skipped: false, keys: count };
    });
  }
}
