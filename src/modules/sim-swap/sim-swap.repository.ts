import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../common/database/prisma.service.js';

export interface SandboxOverride {
  phoneNumber: string;
  latestSimChange: Date | null;
  latestDeviceChange: Date | null;
}

@Injectable()
export class SimSwapRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findSandboxOverride(phoneNumber: string): Promise<SandboxOverride | undefined> {
    const row = await this.prisma.client.simSwapSandboxOverride.findUnique({
      where: { phoneNumber },
    });
    return row
      ? {
          phoneNumber: row.phoneNumber,
          latestSimChange: row.latestSimChange,
          latestDeviceChange: row.latestDeviceChange,
        }
      : undefined;
  }

  async upsertSandboxOverride(override: SandboxOverride): Promise<void> {
    const { phoneNumber, latestSimChange, latestDeviceChange } = override;
    await this.prisma.client.simSwapSandboxOverride.upsert({
      where: { phoneNumber },
      create: { phoneNumber, latestSimChange, latestDeviceChange },
      update: { latestSimChange, latestDeviceChange },
    });
  }

  /** True when there was an override to remove. */
  async deleteSandboxOverride(phoneNumber: string): Promise<boolean> {
    const { count } = await this.prisma.client.simSwapSandboxOverride.deleteMany({
      where: { phoneNumber },
    });
    return count > 0;
  }
}
