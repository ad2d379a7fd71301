import { Injectable } from '@nestjs/common';
import type { EnrichmentSession, SdkSession } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';
import type { UnitWriteKind } from '../audit/audit.service.js';
import { DatabaseLock, tryLock } from '../../common/database/database-locks.js';

/** An enrichment session, written with the enrichment's audit event (one unit of work). */
export const ENRICHMENT_SESSIONS: UnitWriteKind = {
  name: 'verification.enrichment_session',
  columns:
    'id uuid, client_id text, operator_id text, outcome text, proof text, expires_at timestamptz, created_at timestamptz',
  insert: (
    rows,
  ) => `INSERT INTO enrichment_session (id, client_id, operator_id, outcome, proof, expires_at, created_at)
    SELECT id, client_id, operator_id, outcome::enrichment_outcome, proof, expires_at, created_at FROM ${rows}
    ON CONFLICT (id) DO NOTHING`,
  key: (row) => String(row.id),
};

/** The SDK may report a session more than once (retries): the last report wins. */
export const SDK_SESSIONS: UnitWriteKind = {
  name: 'verification.sdk_session',
  columns:
    'id uuid, client_id text, sdk_session_id text, mno_id text, authmatech_code_present boolean, authmatech_code_hash text, device_context jsonb, client_ip text, at timestamptz',
  insert: (
    rows,
  ) => `INSERT INTO sdk_session (id, client_id, sdk_session_id, mno_id, authmatech_code_present, authmatech_code_hash, device_context, client_ip, created_at, updated_at)
    SELECT id, client_id, sdk_session_id, mno_id, authmatech_code_present, authmatech_code_hash, device_context, client_ip, at, at FROM ${rows}
    ON CONFLICT (client_id, sdk_session_id) DO UPDATE SET mno_id = EXCLUDED.mno_id,
      authmatech_code_present = EXCLUDED.authmatech_code_present, authmatech_code_hash = EXCLUDED.authmatech_code_hash,
      device_context = EXCLUDED.device_context, client_ip = EXCLUDED.client_ip, updated_at = EXCLUDED.updated_at`,
  key: (row) => `${String(row.client_id)}:${String(row.sdk_session_id)}`,
};

@Injectable()
export class VerificationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Whether any client's session has this id (a web-variant transactionId is used once, by anyone). */
  async enrichmentSessionExists(id: string): Promise<boolean> {
    return (await this.prisma.client.enrichmentSession.count({ where: { id } })) > 0;
  }

  /** Scoped to the client: another client's session id finds nothing. */
  findEnrichmentSessionOfClient(id: string, clientId: string): Promise<EnrichmentSession | null> {
    return this.prisma.client.enrichmentSession.findFirst({ where: { id, clientId } });
  }

  /** Scoped to the client, like every session lookup. */
  findSdkSessionOfClient(clientId: string, sdkSessionId: string): Promise<SdkSession | null> {
    return this.prisma.client.sdkSession.findUnique({
      where: { clientId_sdkSessionId: { clientId, sdkSessionId } },
    });
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
      if (!(await tryLock(tx, DatabaseLock.VerificationPurge))) return undefined;
      const proofs = await tx.proofUse.deleteMany({ where: { usedAt: { lt: proofsBefore } } });
      const sessions = await tx.enrichmentSession.deleteMany({
        where: { createdAt: { lt: sessionsBefore } },
      });
      return { proofs: proofs.count, sessions: sessions.count };
    });
  }
}
