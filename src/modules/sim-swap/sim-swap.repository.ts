import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../common/database/prisma.service.js';
import type { UnitWriteKind } from '../audit/audit.service.js';

/** An admin's override of a sandbox number, written in the unit of work of the admin's request. */
export const SANDBOX_OVERRIDE_SET: UnitWriteKind = {
  name: 'sim_swap.sandbox_override_set',
  columns:
    'phone_number text, latest_sim_change timestamptz, latest_device_change timestamptz, at timestamptz',
  insert: (
    rows,
  ) => `INSERT INTO sim_swap_sandbox_override (phone_number, latest_sim_change, latest_device_change, updated_at)
    SELECT phone_number, latest_sim_change, latest_device_change, at FROM ${rows}
    ON CONFLICT (phone_number) DO UPDATE SET latest_sim_change = EXCLUDED.latest_sim_change,
      latest_device_change = EXCLUDED.latest_device_change, updated_at = EXCLUDED.updated_at`,
  key: (row) => String(row.phone_number),
};

export const SANDBOX_OVERRIDE_RESET: UnitWriteKind = {
  name: 'sim_swap.sandbox_override_reset',
  columns: 'phone_number text',
  insert: (rows) =>
    `DELETE FROM sim_swap_sandbox_override o USING ${rows} r WHERE o.phone_number = r.phone_number`,
  key: (row) => String(row.phone_number),
};

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
const SANDBOX_OVERRIDES_TTL_MS = 2_000;

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
      rows.map((row) => [
        row.phoneNumber,
        {
          phoneNumber: row.phoneNumber,
          latestSimChange: row.latestSimChange,
          latestDeviceChange: row.latestDeviceChange,
        },
      ]),
    );
  }

  /** After an override was written (in a unit of work): this instance sees it at once. */
  forgetOverrides(): void {
    this.overrides = undefined;
  }
}
