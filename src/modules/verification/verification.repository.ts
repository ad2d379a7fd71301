import { Injectable } from '@nestjs/common';
import type { EnrichmentSession, Prisma } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

export interface NewEnrichmentSession {
  id: string;
  clientId: string;
  operatorId: string;
  identified: boolean;
  proof: string | null;
  expiresAt: Date;
  createdAt: Date;
}

export interface SdkSessionReport {
  id: string;
  clientId: string;
  sdkSessionId: string;
  mnoId: string | null;
  authmatechCodePresent: boolean;
  authmatechCodeHash: string | null;
  deviceContext: Prisma.InputJsonObject;
  clientIp: string;
  now: Date;
}

// Advisory lock id of the purge job (any constant unique within the gateway).
const PURGE_LOCK_ID = 5_040_001;

@Injectable()
export class VerificationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** False when the id is taken (a web-variant transactionId used twice, by anyone). */
  async createEnrichmentSession(session: NewEnrichmentSession): Promise<boolean> {
    const { count } = await this.prisma.client.enrichmentSession.createMany({
      data: [
        {
          id: session.id,
          clientId: session.clientId,
          operatorId: session.operatorId,
          outcome: session.identified ? 'IDENTIFIED' : 'NO_RESULT',
          proof: session.proof,
          expiresAt: session.expiresAt,
          createdAt: session.createdAt,
        },
      ],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /** Scoped to the client: another client's session id finds nothing. */
  findEnrichmentSessionOfClient(id: string, clientId: string): Promise<EnrichmentSession | null> {
    return this.prisma.client.enrichmentSession.findFirst({ where: { id, clientId } });
  }

  /** The SDK may report a session more than once (retries); the last report wins. */
  async upsertSdkSession(report: SdkSessionReport): Promise<void> {
    const fields = {
      mnoId: report.mnoId,
      authmatechCodePresent: report.authmatechCodePresent,
      authmatechCodeHash: report.authmatechCodeHash,
      deviceContext: report.deviceContext,
      clientIp: report.clientIp,
      updatedAt: report.now,
    };
    await this.prisma.client.sdkSession.upsert({
      where: {
        clientId_sdkSessionId: { clientId: report.clientId, sdkSessionId: report.sdkSessionId },
      },
      create: {
        id: report.id,
        clientId: report.clientId,
        sdkSessionId: report.sdkSessionId,
        createdAt: report.now,
        ...fields,
      },
      update: fields,
    });
  }

  /**
   * Spends a proof: true for the first caller, false for every later one. The primary key decides,
   * so two instances racing on one proof cannot both succeed.
   */
  async spendProof(jti: string, clientId: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.client.proofUse.createMany({
      data: [{ jti, clientId, usedAt: now }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /**
   * Deletes spent-proof markers and enrichment sessions older than the given times, under a
   * transaction-scoped advisory lock so only one instance does it; undefined if the lock is taken.
   */
  purge(
    proofsBefore: Date,
    sessionsBefore: Date,
  ): Promise<{ proofs: number; sessions: number } | undefined> {
    return this.prisma.client.$transaction(async (tx) => {
      const [{ locked }] = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${PURGE_LOCK_ID}::bigint) AS locked`;
      if (!locked) return undefined;
      const proofs = await tx.proofUse.deleteMany({ where: { usedAt: { lt: proofsBefore } } });
      const sessions = await tx.enrichmentSession.deleteMany({
        where: { createdAt: { lt: sessionsBefore } },
      });
      return { proofs: proofs.count, sessions: sessions.count };
    });
  }
}
