import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client.js';
import { DatabaseConnection } from './database-connection.js';

export type { Prisma } from '../../generated/prisma/client.js';

/** Holds the one PrismaClient of the process, built on the configured driver adapter. */
@Injectable()
export class PrismaService implements OnApplicationShutdown {
  readonly client: PrismaClient;

  constructor(private readonly connection: DatabaseConnection) {
    this.client = new PrismaClient({ adapter: connection.adapter });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
    await this.connection.close();
  }
}
