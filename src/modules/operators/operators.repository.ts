import { Injectable } from '@nestjs/common';
import type { Operator, Prisma } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

/** An operator row as this module writes it: plain values, no Prisma input types. */
export interface OperatorRow {
  id: string;
  name: string;
  country: string;
  numberPrefixes: string[];
  enrichmentHeader?: string | null;
  trustedRanges?: string[];
  adapterKind?: Operator['adapterKind'];
  settings?: Record<string, unknown>;
  monitoredPeriodDays?: number | null;
  enabled?: boolean;
}

export type OperatorRowChange = Partial<Omit<OperatorRow, 'id'>>;

/** Prisma's codes for "unique constraint failed" and "record to update not found". */
const UNIQUE_VIOLATION = 'P2002';
const NOT_FOUND = 'P2025';

// Read by shape, not `instanceof`: the error class differs between the pg and PGlite adapters' paths.
function isPrismaError(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

@Injectable()
export class OperatorsRepository {
  constructor(private readonly prisma: PrismaService) {}

  listAll(): Promise<Operator[]> {
    return this.prisma.client.operator.findMany({ orderBy: { id: 'asc' } });
  }

  findById(id: string): Promise<Operator | null> {
    return this.prisma.client.operator.findUnique({ where: { id } });
  }

  /** Undefined when an operator of that id exists already. */
  async insert(row: OperatorRow): Promise<Operator | undefined> {
    try {
      return await this.prisma.client.operator.create({
        data: { ...row, settings: row.settings as Prisma.InputJsonObject | undefined },
      });
    } catch (error) {
      if (isPrismaError(error, UNIQUE_VIOLATION)) return undefined;
      throw error;
    }
  }

  /** Undefined when no operator has that id. */
  async change(id: string, change: OperatorRowChange): Promise<Operator | undefined> {
    try {
      return await this.prisma.client.operator.update({
        where: { id },
        data: { ...change, settings: change.settings as Prisma.InputJsonObject | undefined },
      });
    } catch (error) {
      if (isPrismaError(error, NOT_FOUND)) return undefined;
      throw error;
    }
  }

  /** A one-off step's marker in system_setting: true for the first caller only. */
  async claimMarker(key: string): Promise<boolean> {
    const inserted = await this.prisma.client.$executeRaw`
      INSERT INTO system_setting (key, value, updated_at) VALUES (${key}, ${JSON.stringify({ at: new Date().toISOString() })}::jsonb, now())
      ON CONFLICT DO NOTHING`;
    return inserted === 1;
  }
}

export type { Operator };
