import { Injectable } from '@nestjs/common';
import type {
  AdminRole,
  ApiClient,
  ClientProduct,
  ClientStatus,
  Credential,
  CredentialKind,
  CredentialStatus,
  Prisma,
} from '../../generated/prisma/client.js';
import { PrismaService } from '../../common/database/prisma.service.js';

export type Tx = Prisma.TransactionClient;

/** The sort key of the admin listings: creation time, then id. */
export interface PageKey {
  createdAt: Date;
  id: string;
}

function afterKey(key: PageKey): { OR: object[] } {
  return {
    OR: [{ createdAt: { gt: key.createdAt } }, { createdAt: key.createdAt, id: { gt: key.id } }],
  };
}
export type CredentialWithClient = Credential & { client: ApiClient | null };

/** Only this file (and the module's other repositories) touches Prisma for clients and credentials. */
@Injectable()
export class CredentialsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** One transaction: a credential change and its audit event commit or fail together. */
  transaction<T>(work: (tx: Tx) => Promise<T>, timeoutMs?: number): Promise<T> {
    return this.prisma.transaction(work, timeoutMs);
  }

  createClient(data: Prisma.ApiClientCreateInput, tx: Tx): Promise<ApiClient> {
    return tx.apiClient.create({ data });
  }

  createCredential(data: Prisma.CredentialUncheckedCreateInput, tx: Tx): Promise<Credential> {
    return tx.credential.create({ data });
  }

  findClientById(id: string, tx?: Tx): Promise<ApiClient | null> {
    return (tx ?? this.prisma.client).apiClient.findUnique({ where: { id } });
  }

  /** Oldest first; `after` continues behind the last row of a previous page (keyset). */
  listClients(take: number, after?: PageKey): Promise<ApiClient[]> {
    return this.prisma.client.apiClient.findMany({
      where: after ? afterKey(after) : {},
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take,
    });
  }

  updateClient(
    id: string,
    data: {
      name?: string;
      products?: ClientProduct[];
      status?: ClientStatus;
      rateLimitPerMinute?: number;
      allowedOrigins?: string[];
    },
    tx: Tx,
  ): Promise<ApiClient> {
    return tx.apiClient.update({ where: { id }, data });
  }

  /** The active clients that allow at least one browser origin, with those origins (the CORS snapshot). */
  listBrowserOrigins(): Promise<{ id: string; allowedOrigins: string[] }[]> {
    return this.prisma.client.apiClient.findMany({
      where: { status: 'ACTIVE', NOT: { allowedOrigins: { isEmpty: true } } },
      select: { id: true, allowedOrigins: true },
    });
  }

  findCredentialByHash(keyHash: string): Promise<CredentialWithClient | null> {
    return this.prisma.client.credential.findUnique({
      where: { keyHash },
      include: { client: true },
    });
  }

  findCredentialById(id: string, tx?: Tx): Promise<CredentialWithClient | null> {
    return (tx ?? this.prisma.client).credential.findUnique({
      where: { id },
      include: { client: true },
    });
  }

  listCredentialsOfClient(clientId: string, take: number, after?: PageKey): Promise<Credential[]> {
    return this.prisma.client.credential.findMany({
      where: { clientId, ...(after ? afterKey(after) : {}) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take,
    });
  }

  listAdminKeys(take: number, after?: PageKey): Promise<Credential[]> {
    return this.prisma.client.credential.findMany({
      where: { kind: 'ADMIN_KEY', ...(after ? afterKey(after) : {}) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take,
    });
  }

  /** Whether any admin or auditor key was ever issued (revoked ones count: the first admin existed). */
  async anyAdminKeyIssued(tx: Tx): Promise<boolean> {
    return (await tx.credential.count({ where: { kind: 'ADMIN_KEY' }, take: 1 })) > 0;
  }

  /** Locks the client's active credentials of a kind, so two concurrent rotations serialise. */
  lockActiveOfKind(
    clientId: string,
    kind: CredentialKind,
    tx: Tx,
  ): Promise<{ id: string; expires_at: Date | null }[]> {
    return tx.$queryRaw`
      SELECT id::text AS id, expires_at FROM credential
       WHERE client_id = ${clientId} AND kind = ${kind.toLowerCase()}::credential_kind AND status = 'active'
       ORDER BY created_at FOR UPDATE`;
  }

  async endCredentials(ids: string[], status: CredentialStatus, at: Date, tx: Tx): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await tx.credential.updateMany({
      where: { id: { in: ids }, status: 'ACTIVE' },
      data: { status, endedAt: at },
    });
    return result.count;
  }

  async setExpiry(id: string, expiresAt: Date, tx: Tx): Promise<void> {
    await tx.credential.update({ where: { id }, data: { expiresAt } });
  }

  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.prisma.client.credential.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }

  listEndable(now: Date, tx: Tx): Promise<Credential[]> {
    return tx.credential.findMany({
      where: { status: 'ACTIVE', expiresAt: { lte: now } },
      orderBy: { id: 'asc' },
    });
  }

  listDueForRotation(createdBefore: Date, tx: Tx): Promise<Credential[]> {
    return tx.credential.findMany({
      where: {
        status: 'ACTIVE',
        createdAt: { lt: createdBefore },
        rotationDueNotedAt: null,
        expiresAt: null,
      },
      orderBy: { id: 'asc' },
    });
  }

  async markRotationDueNoted(ids: string[], at: Date, tx: Tx): Promise<void> {
    await tx.credential.updateMany({
      where: { id: { in: ids } },
      data: { rotationDueNotedAt: at },
    });
  }

  listSealedNotUnder(
    keyVersion: number,
    tx: Tx,
  ): Promise<Pick<Credential, 'id' | 'sealedSecret' | 'sealedKeyVersion'>[]> {
    return tx.credential.findMany({
      where: { sealedSecret: { not: null }, sealedKeyVersion: { not: keyVersion } },
      select: { id: true, sealedSecret: true, sealedKeyVersion: true },
    });
  }

  async updateSealed(
    id: string,
    sealedSecret: string,
    sealedKeyVersion: number,
    tx: Tx,
  ): Promise<void> {
    await tx.credential.update({ where: { id }, data: { sealedSecret, sealedKeyVersion } });
  }

  async deleteJwtIdsExpiredBefore(at: Date, tx: Tx): Promise<number> {
    return (await tx.usedJwtId.deleteMany({ where: { expiresAt: { lt: at } } })).count;
  }

  /** Inserts a one-off marker; false when it existed (another start already did the work). */
  async claimSystemSetting(key: string, value: Prisma.InputJsonValue, tx: Tx): Promise<boolean> {
    const inserted = await tx.$executeRaw`
      INSERT INTO system_setting (key, value, updated_at) VALUES (${key}, ${JSON.stringify(value)}::jsonb, now())
      ON CONFLICT DO NOTHING`;
    return inserted === 1;
  }
}

export type {
  AdminRole,
  ApiClient,
  ClientProduct,
  ClientStatus,
  Credential,
  CredentialKind,
  CredentialStatus,
};
