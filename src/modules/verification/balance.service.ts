import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { decodeCursor, pageOf, type Page } from '../../common/http/pagination.js';
import type { RequestContext } from '../../common/http/request-context.js';
import type { UnitClaims } from '../audit/audit.service.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { BalanceRepository } from './balance.repository.js';

export interface BalanceView {
  credits: number;
  expiresAt: string | null;
  expired: boolean;
}

export interface BalanceHistoryEntry {
  at: string;
  kind: 'TOP_UP' | 'VERIFY' | 'REFUND' | 'ASSESSMENT';
  change: number;
  balanceAfter: number;
}

/**
 * Verification credits of LIVE clients. SANDBOX clients are never charged. Every verify that
 * reaches a verdict, positive or negative, costs one credit (the operator leg was done either
 * way); a request answered with an error, including 503 from the operator, costs nothing: the
 * credit is taken in the same unit of work as the verdict's audit event, or not at all.
 */
@Injectable()
export class BalanceService {
  constructor(
    private readonly repository: BalanceRepository,
    private readonly requests: RequestAudit,
    private readonly clock: Clock,
  ) {}

  /** The credit a billable call claims in its unit of work (`ledgerKind` names it in the ledger); none for SANDBOX clients. */
  debitOf(client: AuthenticatedClient, ledgerKind: string): UnitClaims['debit'] {
    return client.environment === 'SANDBOX' ? undefined : { clientId: client.clientId, ledgerKind };
  }

  /** Whether a credit is there now (a cheap check before an expensive call; the unit of work decides). */
  async hasCredit(clientId: string): Promise<boolean> {
    const balance = await this.balanceOf(clientId);
    return balance.credits > 0 && !balance.expired;
  }

  /** Adds credits, its ledger row and the request's audit event, in one transaction; answers the balance after it. */
  async topUp(
    ctx: RequestContext,
    clientId: string,
    credits: number,
    expiresAt: Date | undefined,
    actorId: string,
  ): Promise<BalanceView & { clientId: string }> {
    const balance = await this.requests.transaction(
      ctx,
      async (tx) => {
        const row = await this.repository.topUp(
          clientId,
          credits,
          expiresAt ?? null,
          actorId,
          this.clock.now(),
          tx,
        );
        return { clientId, ...this.view(row.credits, row.expiresAt) };
      },
      (answer) => ({ status: 200, body: answer }),
    );
    return balance;
  }

  async balanceOf(clientId: string): Promise<BalanceView> {
    const balance = await this.repository.findBalance(clientId);
    return this.view(balance?.credits ?? 0, balance?.expiresAt ?? null);
  }

  /** Ledger entries, newest first, a page at a time (`cursor`: the previous page's `nextCursor`). */
  async history(
    clientId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<BalanceHistoryEntry>> {
    const beforeId = cursor === undefined ? undefined : BigInt(decodeCursor(cursor, ['n'])[0]);
    const entries = await this.repository.listLedger(clientId, limit + 1, beforeId);
    return pageOf(
      entries,
      limit,
      (entry) => ({
        at: entry.createdAt.toISOString(),
        kind: entry.kind,
        change: entry.change,
        balanceAfter: entry.balanceAfter,
      }),
      (entry) => [Number(entry.id)],
    );
  }

  private view(credits: number, expiresAt: Date | null): BalanceView {
    return {
      credits,
      expiresAt: expiresAt?.toISOString() ?? null,
      expired: expiresAt !== null && expiresAt.getTime() <= this.clock.now().getTime(),
    };
  }
}
