import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../common/database/prisma.service.js';
import type { Tx } from './credentials.repository.js';

@Injectable()
export class RateLimitRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Adds `amount` hits to a window in one statement and returns the window's new total. */
  async add(bucket: string, windowStart: Date, amount: number): Promise<number> {
    const rows = await this.prisma.client.$queryRaw<{ hits: number | bigint }[]>`
      INSERT INTO rate_limit_window (bucket, window_start, hits) VALUES (${bucket}, ${windowStart}, ${amount})
      ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_window.hits + EXCLUDED.hits
      RETURNING hits`;
    return Number(rows[0].hits);
  }

  async deleteWindowsBefore(at: Date, tx: Tx): Promise<number> {
    return (await tx.rateLimitWindow.deleteMany({ where: { windowStart: { lt: at } } })).count;
  }
}
