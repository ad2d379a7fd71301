import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient } from '../../generated/prisma/client.js';
import { DatabaseConnection } from './database-connection.js';
import { requestTransaction } from './request-transaction.js';

import type { Prisma } from '../../generated/prisma/client.js';

export type { Prisma };

/** A transaction's client, as repositories take it to join a unit of work. */
export type Tx = Prisma.TransactionClient;

/** Holds the one PrismaClient of the process, built on the configured driver adapter. */
@Injectable()
export class PrismaService implements OnApplicationShutdown {
  /** The pool's client, never a request's transaction: for work that must commit on its own (the audit writer). */
  readonly root: PrismaClient;

  constructor(private readonly connection: DatabaseConnection) {
    this.root = new PrismaClient({ adapter: connection.adapter });
  }

  /** The running request's transaction when its route has one, else the pool's client. */
  get client(): PrismaClient {
    const scope = requestTransaction.getStore();
    return scope?.open && scope.client ? scope.client : this.root;
  }

  /**
   * The gateway's one unit-of-work helper: `work` in one transaction of `client` (nested in the
   * request's transaction when there is one), so a change and its audit event commit or fail
   * together. A transaction waits for a connection, and runs, at most `timeoutMs` each.
   */
  transaction<T>(
    work: (tx: Prisma.TransactionClient) => Promise<T>,
    timeoutMs = 10_000,
  ): Promise<T> {
    return this.client.$transaction(work, { timeout: timeoutMs, maxWait: timeoutMs });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.root.$disconnect();
    await this.connection.close();
  }
}
