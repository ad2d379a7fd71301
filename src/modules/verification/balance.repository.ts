import { Injectable } from '@nestjs/common';
import type { BalanceLedgerEntry, ClientBalance } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

@Injectable()
export class BalanceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Takes one credit if the balance has one and has not expired, and writes its ledger row, in
   * one statement: the conditional UPDATE's row lock serialises concurrent verifies, so credits
   * can never be spent twice. Returns the balance left, or undefined when nothing was taken.
   */
  async consumeOne(clientId: string, now: Date): Promise<number | undefined> {
    const rows = await this.prisma.client.$queryRaw<{ balance_after: number }[]>`
      WITH spent AS (
        UPDATE "client_balance" SET "credits" = "credits" - 1, "updated_at" = ${now}
         WHERE "client_id" = ${clientId} AND "credits" > 0 AND ("expires_at" IS NULL OR "expires_at" > ${now})
        RETURNING "client_id", "credits")
      INSERT INTO "balance_ledger" ("client_id", "kind", "change", "balance_after", "created_at")
      SELECT "client_id", 'verify', -1, "credits", ${now} FROM spent
      RETURNING "balance_after"`;
    return rows[0]?.balance_after;
  }

  /** Gives back a credit taken for a request that reached no verdict (operator unavailable). */
  async refundOne(clientId: string, now: Date): Promise<void> {
    await this.prisma.client.$executeRaw`
      WITH refunded AS (
        UPDATE "client_balance" SET "credits" = "credits" + 1, "updated_at" = ${now}
         WHERE "client_id" = ${clientId}
        RETURNING "client_id", "credits")
      INSERT INTO "balance_ledger" ("client_id", "kind", "change", "balance_after", "created_at")
      SELECT "client_id", 'refund', 1, "credits", ${now} FROM refunded`;
  }

  /** Adds credits (creating the balance on first top-up) and writes the ledger row, in one statement. */
  async topUp(
    clientId: string,
    credits: number,
    expiresAt: Date | null,
    actorId: string,
    now: Date,
  ): Promise<{ credits: number; expiresAt: Date | null }> {
    const rows = await this.prisma.client.$queryRaw<{ credits: number; expires_at: Date | null }[]>`
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
