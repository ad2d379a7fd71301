import { Injectable } from '@nestjs/common';
import type { BalanceLedgerEntry, ClientBalance, Prisma } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

type Tx = Prisma.TransactionClient;

@Injectable()
export class BalanceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Adds credits (creating the balance on first top-up) and writes the ledger row, in one statement. */
  async topUp(
    clientId: string,
    credits: number,
    expiresAt: Date | null,
    actorId: string,
    now: Date,
    tx?: Tx,
  ): Promise<{ credits: number; expiresAt: Date | null }> {
    const rows = await (tx ?? this.prisma.client).$queryRaw<
      { credits: number; expires_at: Date | null }[]
    >`
      WITH topped AS (
        INSERT INTO "client_balance" ("client_id", "credits", "expires_at", "updated_at")
        VALUES (${clientId}, ${credits}, ${expiresAt}, ${now})
        ON CONFLICT ("client_id") DO UPDATE
          SET "credits" = "client_balance"."credits" + EXCLUDED."credits",
              "expires_at" = COALESCE(EXCLUDED."expires_at", "client_balance"."expires_at"),
              "updated_at" = EXCLUDED."updated_at"
        RETURNING "client_id", "credits", "expires_at"),
      ledger AS (
        INSERT INTO "balance_ledger" ("client_id", "kind", "change", "balance_after", "actor_id", "created_at")
        SELECT "client_id", 'top_up', ${credits}, "credits", ${actorId}, ${now} FROM topped)
      SELECT "credits", "expires_at" FROM topped`;
    return { credits: rows[0].credits, expiresAt: rows[0].expires_at };
  }

  findBalance(clientId: string): Promise<ClientBalance | null> {
    return this.prisma.client.clientBalance.findUnique({ where: { clientId } });
  }

  /** Newest first; `beforeId` continues after the last entry of a previous page. */
  listLedger(clientId: string, take: number, beforeId?: bigint): Promise<BalanceLedgerEntry[]> {
    return this.prisma.client.balanceLedgerEntry.findMany({
      where: { clientId, ...(beforeId === undefined ? {} : { id: { lt: beforeId } }) },
      orderBy: { id: 'desc' },
      take,
    });
  }
}
