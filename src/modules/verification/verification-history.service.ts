import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { VerificationRepository } from './verification.repository.js';

/** One verdict of `POST /v1/api/verify` for a number, as its audit event recorded it. */
export interface PastVerification {
  at: Date;
  validNumber: boolean;
  /** The SDK session the verify named, if any. */
  sdkSessionId: string | undefined;
}

/** What the SDK reported about a session (`POST /v1/api/sdk/session`). Hashes only. */
export interface ReportedSession {
  mnoId: string | null;
  deviceIdHash: string | undefined;
  clientIp: string;
  reportedAt: Date;
}

/** Verdicts read per question; enough for every velocity threshold the intelligence policy allows. */
const MAX_VERDICTS = 200;

/**
 * The verification history other modules may ask about (Intelligence): a client's past verdicts
 * for a number and the sessions its SDK reported. Always scoped to one client. Verdicts are read
 * from the audit trail, which is where every verify's verdict is recorded.
 */
@Injectable()
export class VerificationHistoryService {
  constructor(
    private readonly audit: AuditService,
    private readonly repository: VerificationRepository,
  ) {}

  /** The client's verdicts for this number since `since`, newest first (at most 200). */
  async verdictsOf(
    clientId: string,
    phoneNumber: string,
    since: Date,
  ): Promise<PastVerification[]> {
    const page = await this.audit.list(
      { clientId, action: 'verify', phoneNumber, from: since, outcome: 'success' },
      MAX_VERDICTS,
    );
    const verdicts: PastVerification[] = [];
    for (const record of page.items) {
      const verdict = record.verdict as { validNumber?: unknown } | null;
      if (typeof verdict?.validNumber !== 'boolean') continue;
      const detail = record.detail as { sdkSessionId?: unknown } | null;
      verdicts.push({
        at: new Date(record.occurredAt),
        validNumber: verdict.validNumber,
        sdkSessionId: typeof detail?.sdkSessionId === 'string' ? detail.sdkSessionId : undefined,
      });
    }
    return verdicts;
  }

  /** The session this client's SDK reported under `sdkSessionId`; undefined for another client's. */
  async sessionOf(clientId: string, sdkSessionId: string): Promise<ReportedSession | undefined> {
    const session = await this.repository.findSdkSessionOfClient(clientId, sdkSessionId);
    if (!session) return undefined;
    const context = (session.deviceContext ?? {}) as { deviceIdHash?: unknown };
    return {
      mnoId: session.mnoId,
      deviceIdHash: typeof context.deviceIdHash === 'string' ? context.deviceIdHash : undefined,
      clientIp: session.clientIp,
      reportedAt: session.updatedAt,
    };
  }
}
