import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma } from '../../common/database/prisma.service.js';
import type {
  ClientEnvironment,
  ConsoleRole,
  ConsoleSession,
  ConsoleUser,
  ConsoleUserClient,
} from '../../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient;
export type ConsoleUserWithClients = ConsoleUser & { clients: ConsoleUserClient[] };
export type SessionWithUser = ConsoleSession & { user: ConsoleUserWithClients };
export type { ConsoleRole, ClientEnvironment };

/** Console users, their client bindings and sessions (only this file touches their tables). */
@Injectable()
export class ConsoleRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One transaction: a change and its audit event commit or fail together. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.transaction(work);
  }

  createUser(
    data: {
      id: string;
      email: string;
      role: ConsoleRole;
      invitationHash: string;
      invitationExpiresAt: Date;
      clients: { clientId: string; environment: ClientEnvironment }[];
    },
    tx: Tx,
  ): Promise<ConsoleUserWithClients> {
    const { clients, ...user } = data;
    return tx.consoleUser.create({
      data: { ...user, clients: { create: clients } },
      include: { clients: true },
    });
  }

  findUserByEmail(email: string, tx?: Tx): Promise<ConsoleUserWithClients | null> {
    return (tx ?? this.prisma.client).consoleUser.findUnique({
      where: { email },
      include: { clients: true },
    });
  }

  findUserById(id: string, tx?: Tx): Promise<ConsoleUserWithClients | null> {
    return (tx ?? this.prisma.client).consoleUser.findUnique({
      where: { id },
      include: { clients: true },
    });
  }

  findUserByInvitation(invitationHash: string, tx?: Tx): Promise<ConsoleUserWithClients | null> {
    return (tx ?? this.prisma.client).consoleUser.findUnique({
      where: { invitationHash },
      include: { clients: true },
    });
  }

  /** Row lock: concurrent sign-ins of one account count their failures one after the other. */
  async lockUser(id: string, tx: Tx): Promise<void> {
    await tx.$queryRaw`SELECT id FROM console_user WHERE id = ${id}::uuid FOR UPDATE`;
  }

  listUsers(): Promise<ConsoleUserWithClients[]> {
    return this.prisma.client.consoleUser.findMany({
      include: { clients: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  countActiveAdmins(tx: Tx): Promise<number> {
    return tx.consoleUser.count({ where: { role: 'ADMIN', status: 'ACTIVE' } });
  }

  updateUser(
    id: string,
    data: Prisma.ConsoleUserUpdateInput,
    tx: Tx,
  ): Promise<ConsoleUserWithClients> {
    return tx.consoleUser.update({ where: { id }, data, include: { clients: true } });
  }

  createSession(
    data: { id: string; tokenHash: string; userId: string; now: Date; expiresAt: Date },
    tx: Tx,
  ): Promise<ConsoleSession> {
    return tx.consoleSession.create({
      data: {
        id: data.id,
        tokenHash: data.tokenHash,
        userId: data.userId,
        createdAt: data.now,
        lastSeenAt: data.now,
        expiresAt: data.expiresAt,
      },
    });
  }

  findSessionByTokenHash(tokenHash: string, tx?: Tx): Promise<SessionWithUser | null> {
    return (tx ?? this.prisma.client).consoleSession.findUnique({
      where: { tokenHash },
      include: { user: { include: { clients: true } } },
    });
  }

  async touchSession(id: string, now: Date): Promise<void> {
    await this.prisma.client.consoleSession.updateMany({
      where: { id, endedAt: null },
      data: { lastSeenAt: now },
    });
  }

  /** Ends a still-open session; false when it had already ended (sign-out raced a timeout). */
  async endSession(id: string, reason: string, now: Date, tx?: Tx): Promise<boolean> {
    const { count } = await (tx ?? this.prisma.client).consoleSession.updateMany({
      where: { id, endedAt: null },
      data: { endedAt: now, endReason: reason },
    });
    return count === 1;
  }

  async endSessionsOfUser(
    userId: string,
    reason: string,
    now: Date,
    tx: Tx,
    exceptSessionId?: string,
  ): Promise<number> {
    const { count } = await tx.consoleSession.updateMany({
      where: {
        userId,
        endedAt: null,
        ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}),
      },
      data: { endedAt: now, endReason: reason },
    });
    return count;
  }

  /** Session rows are kept a while after they end (who was signed in when), then removed. */
  async deleteSessionsEndedBefore(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.client.consoleSession.deleteMany({
      where: { OR: [{ endedAt: { lt: cutoff } }, { expiresAt: { lt: cutoff } }] },
    });
    return count;
  }
}
