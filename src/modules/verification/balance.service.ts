import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { decodeCursor, pageOf, type Page } from '../../common/http/pagination.js';
import { BalanceRepository } from './balance.repository.js';
import { insufficientBalance } from './verification.errors.js';

export interface BalanceView {
  credits: number;
  expiresAt: string | null;
  expired: boolean;
}

export interface BalanceHistoryEntry {
  at: string;
  kind: 'TOP_UP' | 'VERIFY' | 'REFUND';
  change: number;
  balanceAfter: number;
}

/** A credit taken for a verification; given back if the request reaches no verdict. */
export interface Charge {
  refund(): Promise<void>;
}

const FREE: Charge = { refund: () => Promise.resolve() };

/**
 * Verification credits of LIVE clients. SANDBOX clients are never charged. Every verify that
 * reaches a verdict, positive or negative, costs one credit (the operator leg was done either
 * way); a request answered with an error, including 503 from the operator, costs nothing.
 */
@Injectable()
export class BalanceService {
  constructor(
    private readonly repository: BalanceRepository,
    private readonly clock: Clock,
  ) {}

  /** Takes one credit for a billable verify, or throws 400 INSUFFICIENT_BALANCE. */
  async charge(client: AuthenticatedClient): Promise<Charge> {
    if (client.environment === 'SANDBOX') return FREE;
    const left = await this.repository.consumeOne(client.clientId, this.clock.now());
    if (left === undefined) throw insufficientBalance();
    return { refund: () => this.repository.refundOne(client.clientId, this.clock.now()) };
  }

  async topUp(
    clientId: string,
    credits: number,
    expiresAt: Date | undefined,
    actorId: string,
  ): Promise<BalanceView> {
    const balance = await this.repository.topUp(
      clientId,
      credits,
      expiresAt ?? null,
      actorId,
      this.clock.now(),
    );
    return this.view(balance.credits, balance.expiresAt);
  }

  async balanceOf(clientId: string): Promise<BalanceView> {
    const balance = await this.repository.findBalance(clientId);
    return this.view(balance?.credits ?? 0, balance?.expiresAt ?? null);
  }

  /** Ledger entries, newest first, a page at a time (`cursor`: the previous page's `nextCursor`). */
  async history(clientId: string, limit: number, cursor?: string): Promise<Page<BalanceHistoryEntry>> {
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
