import { Injectable } from '@nestjs/common';
import type { Operator, Prisma } from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

@Injectable()
export class OperatorsRepository {
  constructor(private readonly prisma: PrismaService) {}

  listAll(): Promise<Operator[]> {
    return this.prisma.client.operator.findMany({ orderBy: { id: 'asc' } });
  }

  findById(id: string): Promise<Operator | null> {
    return this.prisma.client.operator.findUnique({ where: { id } });
  }

  create(data: Prisma.OperatorCreateInput): Promise<Operator> {
    return this.prisma.client.operator.create({ data });
  }

  update(id: string, data: Prisma.OperatorUpdateInput): Promise<Operator> {
    return this.prisma.client.operator.update({ where: { id }, data });
  }

  /** A one-off step's marker in system_setting: true for the first caller only. */
  async claimMarker(key: string): Promise<boolean> {
    const inserted = await this.prisma.client.$executeRaw`
      INSERT INTO system_setting (key, value, updated_at) VALUES (${key}, ${JSON.stringify({ at: new Date().toISOString() })}::jsonb, now())
      ON CONFLICT DO NOTHING`;
    return inserted === 1;
  }
}
