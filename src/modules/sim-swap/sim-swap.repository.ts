import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../common/database/prisma.service.js';

export interface SandboxOverride {
  phoneNumber: string;
  latestSimChange: Date | null;
  latestDeviceChange: Date | null;
}

/**
 * How long one instance may answer from its copy of the override table after another instance
 * changed it. The table is small (sandbox numbers an admin set by hand) and read on every sandbox
 * SIM-swap check, so each instance keeps all of it and reloads it at most this often; a change made
 * through this instance is seen at once.
 */
export const SANDBOX_OVERRIDES_TTL_MS = 2_000;

@Injectable()
export class SimSwapRepository {
  private overrides: { loadedAt: number; rows: Promise<Map<string, SandboxOverride>> } | undefined;

  constructor(private readonly prisma: PrismaService) {}

  async findSandboxOverride(phoneNumber: string): Promise<SandboxOverride | undefined> {
    const now = Date.now();
    if (!this.overrides || now - this.overrides.loadedAt >= SANDBOX_OVERRIDES_TTL_MS) {
      const rows = this.loadOverrides();
      this.overrides = { loadedAt: now, rows };
      // A failed load is not kept: the next check asks the database again.
      rows.catch(() => {
        if (this.overrides?.rows === rows) this.overrides = undefined;
      });
    }
    return (await this.overrides.rows).get(phoneNumber);
  }

  private async loadOverrides(): Promise<Map<string, SandboxOverride>> {
    const rows = await this.prisma.client.simSwapSandboxOverride.findMany();
    return new Map(
      rows.map((row) => [row.phoneNumber, { phoneNumber: row.phoneNumber, latestSimChange: row.latestSimChange, latestDeviceChange: row.latestDeviceChange }]),
    );
  }

  async upsertSandboxOverride(override: SandboxOverride): Promise<void> {
    const { phoneNumber, latestSimChange, latestDeviceChange } = override;
    await this.prisma.client.simSwapSandboxOverride.upsert({
      where: { phoneNumber },
      create: { phoneNumber, latestSimChange, latestDeviceChange },
      update: { latestSimChange, latestDeviceChange },
    });
    this.overrides = undefined;
  }

  /** True when there was an override to remove. */
  async deleteSandboxOverride(phoneNumber: string): Promise<boolean> {
    const { count } = await this.prisma.client.simSwapSandboxOverride.deleteMany({
      where: { phoneNumber },
    });
    this.overrides = undefined;
    return count > 0;
  }
}
