import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AdminRole } from '../../common/auth/auth.decorators.js';
import type { ClientEnvironment, ClientProduct, CredentialKind, CredentialRef } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import { decodeCursor, invalidCursor, pageOf, type Page } from '../../common/http/pagination.js';
import { checkAllowedOrigins } from './allowed-origins.js';
import { BrowserOrigins } from './browser-origins.service.js';
import { CredentialAudit, type Answering, type CredentialAuditEvent } from './credential-audit.js';
import {
  fingerprintOf,
  generateClientId,
  generateJwtSecret,
  generateSecret,
  keyHash,
  SECRET_PREFIXES,
} from './credential-format.js';
import { CredentialCache } from './credential-cache.js';
import {
  clientNotFound,
  credentialNotActive,
  adminExists,
  bootstrapDisabled,
  credentialNotFound,
  unauthenticated,
  unsupportedCredentialKind,
} from './credentials.errors.js';
import {
  CredentialsRepository,
  type ApiClient,
  type Credential,
  type CredentialKind as DbCredentialKind,
  type PageKey,
  type Tx,
} from './credentials.repository.js';
import { SecretBox } from '../../common/crypto/secret-box.js';

export type ClientStatusName = 'active' | 'suspended';

export interface ClientView {
  clientId: string;
  name: string;
  environment: ClientEnvironment;
  products: ClientProduct[];
  status: ClientStatusName;
  rateLimitPerMinute: number;
  /** Browser origins whose pages may use this client's SDK tokens. */
  allowedOrigins: string[];
  createdAt: string;
  updatedAt: string;
}

/** What a listing shows of a credential: never the secret, nor its hash. */
export interface CredentialView {
  id: string;
  kind: CredentialKind;
  fingerprint: string;
  status: 'active' | 'expired' | 'revoked';
  role: AdminRole | null;
  createdAt: string;
  expiresAt: string | null;
  endedAt: string | null;
  lastUsedAt: string | null;
  rotatedFromId: string | null;
}

export interface CreatedClient {
  clientId: string;
  apiKey: string;
  clientSecret: string;
  jwtKeyId: string;
  jwtSecret: string;
}

/** A newly issued secret: shown once, to whoever asked for it. */
export interface IssuedCredential {
  credential: CredentialView;
  /** The API key, client secret or admin key; for a JWT key, its secret (`credential.id` is the kid). */
  secret: string;
}

export interface RotationResult extends IssuedCredential {
  /** When the credentials it replaces stop working (now, when the grace period is 0). */
  previousValidUntil: string;
}

/** Who made a change, for its audit event. */
export interface Actor {
  type: 'client' | 'admin' | 'system' | 'console_user';
  id?: string;
  contract: CredentialAuditEvent['contract'];
  credential?: CredentialRef;
  correlationId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const SYSTEM_ACTOR: Actor = { type: 'system', contract: 'system' };

const KIND_TO_DB: Record<CredentialKind, DbCredentialKind | undefined> = {
  api_key: 'API_KEY',
  client_secret: 'CLIENT_SECRET',
  jwt_key: 'JWT_KEY',
  admin_key: 'ADMIN_KEY',
  sdk_token: undefined, // stateless, never stored
};
const KIND_FROM_DB: Record<DbCredentialKind, CredentialKind> = {
  API_KEY: 'api_key',
  CLIENT_SECRET: 'client_secret',
  JWT_KEY: 'jwt_key',
  ADMIN_KEY: 'admin_key',
};

const byCreation = (row: { createdAt: Date; id: string }): [string, string] => [row.createdAt.toISOString(), row.id];

function pageKeyOf(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  const [createdAt, id] = decodeCursor(cursor, ['s', 's']);
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime())) throw invalidCursor();
  return { createdAt: at, id };
}

function toClientView(client: ApiClient): ClientView {
  return {
    clientId: client.id,
    name: client.name,
    environment: client.environment,
    products: client.products,
    status: client.status === 'ACTIVE' ? 'active' : 'suspended',
    rateLimitPerMinute: client.rateLimitPerMinute,
    allowedOrigins: client.allowedOrigins,
    createdAt: client.createdAt.toISOString(),
    updatedAt: client.updatedAt.toISOString(),
  };
}

export function toCredentialView(credential: Credential): CredentialView {
  return {
    id: credential.id,
    kind: KIND_FROM_DB[credential.kind],
    fingerprint: credential.fingerprint,
    status: credential.status === 'ACTIVE' ? 'active' : credential.status === 'EXPIRED' ? 'expired' : 'revoked',
    role: credential.role === null ? null : credential.role === 'ADMIN' ? 'admin' : 'auditor',
    createdAt: credential.createdAt.toISOString(),
    expiresAt: credential.expiresAt?.toISOString() ?? null,
    endedAt: credential.endedAt?.toISOString() ?? null,
    lastUsedAt: credential.lastUsedAt?.toISOString() ?? null,
    rotatedFromId: credential.rotatedFromId,
  };
}

function refOf(credential: Credential): CredentialRef {
  return { kind: KIND_FROM_DB[credential.kind], id: credential.id, fingerprint: credential.fingerprint };
}

/**
 * Clients and their credentials: issue, rotate, revoke, list. Every change runs in one transaction
 * with its audit event, so a key is never issued (or ended) without the record of it.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly audit: CredentialAudit,
    private readonly box: SecretBox,
    private readonly secrets: ServerSecrets,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly cache: CredentialCache,
    private readonly browserOrigins: BrowserOrigins,
  ) {}

  async createClient(
    input: { name: string; environment: ClientEnvironment; products: ClientProduct[]; rateLimitPerMinute?: number; allowedOrigins?: string[] },
    actor: Actor = SYSTEM_ACTOR,
    answering?: Answering<{ created: CreatedClient; client: ClientView }>,
  ): Promise<CreatedClient> {
    const allowedOrigins = checkAllowedOrigins(input.allowedOrigins ?? [], input.environment);
    const created = await this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const client = await this.repository.createClient(
        {
          id: generateClientId(),
          name: input.name,
          environment: input.environment,
          products: [...new Set(input.products)],
          rateLimitPerMinute: input.rateLimitPerMinute ?? this.environment.DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE,
          allowedOrigins,
        },
        tx,
      );
      const apiKey = await this.issueInTx(tx, client, 'API_KEY');
      const clientSecret = await this.issueInTx(tx, client, 'CLIENT_SECRET');
      const jwtKey = await this.issueInTx(tx, client, 'JWT_KEY');
      const result: CreatedClient = {
        clientId: client.id,
        apiKey: apiKey.secret,
        clientSecret: clientSecret.secret,
        jwtKeyId: jwtKey.row.id,
        jwtSecret: jwtKey.secret,
      };
      await this.audit.recordAnswered(
        this.event(actor, 'client.create', 'success', {
          clientId: client.id,
          detail: {
            environment: client.environment,
            products: client.products,
            ...(allowedOrigins.length > 0 && { allowedOrigins }),
            credentials: [apiKey, clientSecret, jwtKey].map((issued) => ({ kind: KIND_FROM_DB[issued.row.kind], id: issued.row.id, fingerprint: issued.row.fingerprint })),
          },
        }),
        tx,
        answering,
        { created: result, client: toClientView(client) },
      );
      return result;
    });
    if (allowedOrigins.length > 0) this.browserOrigins.invalidate();
    return created;
  }

  async createAdminKey(role: AdminRole, actor: Actor = SYSTEM_ACTOR, answering?: Answering<{ id: string; key: string }>): Promise<{ id: string; key: string }> {
    return this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const issued = await this.issueInTx(tx, null, 'ADMIN_KEY', { role });
      const created = { id: issued.row.id, key: issued.secret };
      await this.audit.recordAnswered(this.event(actor, 'admin_key.create', 'success', { credential: refOf(issued.row), detail: { role } }), tx, answering, created);
      return created;
    });
  }

  /**
   * The first admin key, only while no admin key was ever issued: the check and the issue share a
   * transaction with a marker row, so two instances starting at once create one key between them.
   * Undefined when an admin key exists already.
   */
  async createFirstAdminKey(actor: Actor = SYSTEM_ACTOR): Promise<{ id: string; key: string } | undefined> {
    return this.repository.transaction(async (tx) => {
      if (await this.repository.anyAdminKeyIssued(tx)) return undefined;
      if (!(await this.repository.claimSystemSetting('credentials.first_admin', { at: this.clock.now().toISOString() }, tx))) return undefined;
      const issued = await this.issueInTx(tx, null, 'ADMIN_KEY', { role: 'admin' });
      await this.audit.record(this.event(actor, 'admin_key.create', 'success', { credential: refOf(issued.row), detail: { role: 'admin', firstAdmin: true } }), tx);
      return { id: issued.row.id, key: issued.secret };
    });
  }

  /**
   * ADMIN_BOOTSTRAP_SECRET exchanged for the first admin key. The secret is compared by digest in
   * constant time and never stored; the key is issued only while no admin key was ever issued.
   */
  async bootstrapAdminKey(presented: string, correlationId: string): Promise<{ id: string; key: string }> {
    const configured = this.environment.ADMIN_BOOTSTRAP_SECRET;
    if (configured === undefined) throw bootstrapDisabled();
    const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
    if (!timingSafeEqual(digest(presented), digest(configured))) throw unauthenticated('admin');
    const created = await this.createFirstAdminKey({ type: 'system', id: 'admin_bootstrap', contract: 'admin', correlationId });
    if (!created) throw adminExists();
    return created;
  }

  async findClient(clientId: string): Promise<ClientView | undefined> {
    const client = await this.repository.findClientById(clientId);
    return client ? toClientView(client) : undefined;
  }

  async getClient(clientId: string): Promise<ClientView> {
    const client = await this.findClient(clientId);
    if (!client) throw clientNotFound();
    return client;
  }

  async listClients(limit: number, cursor?: string): Promise<Page<ClientView>> {
    return pageOf(await this.repository.listClients(limit + 1, pageKeyOf(cursor)), limit, toClientView, byCreation);
  }

  async updateClient(
    clientId: string,
    changes: { name?: string; products?: ClientProduct[]; status?: ClientStatusName; rateLimitPerMinute?: number; allowedOrigins?: string[] },
    actor: Actor,
  ): Promise<ClientView> {
    const updated = await this.repository.transaction(async (tx) => {
      const existing = await this.repository.findClientById(clientId, tx);
      if (!existing) throw clientNotFound();
      const allowedOrigins = changes.allowedOrigins && checkAllowedOrigins(changes.allowedOrigins, existing.environment);
      const client = await this.repository.updateClient(
        clientId,
        {
          name: changes.name,
          products: changes.products ? [...new Set(changes.products)] : undefined,
          status: changes.status === undefined ? undefined : changes.status === 'active' ? 'ACTIVE' : 'SUSPENDED',
          rateLimitPerMinute: changes.rateLimitPerMinute,
          allowedOrigins,
        },
        tx,
      );
      const changed = Object.keys(changes).filter((key) => changes[key as keyof typeof changes] !== undefined);
      // Origins are public facts about the client's pages, and who allowed which is what an auditor asks.
      await this.audit.record(this.event(actor, 'client.update', 'success', { clientId, detail: { changed, ...(allowedOrigins && { allowedOrigins }) } }), tx);
      return client;
    });
    this.cache.clear();
    this.browserOrigins.invalidate();
    return toClientView(updated);
  }

  async listCredentials(clientId: string, limit: number, cursor?: string): Promise<Page<CredentialView>> {
    await this.getClient(clientId);
    const rows = await this.repository.listCredentialsOfClient(clientId, limit + 1, pageKeyOf(cursor));
    return pageOf(rows, limit, toCredentialView, byCreation);
  }

  async listAdminKeys(limit: number, cursor?: string): Promise<Page<CredentialView>> {
    return pageOf(await this.repository.listAdminKeys(limit + 1, pageKeyOf(cursor)), limit, toCredentialView, byCreation);
  }

  /** An additional credential of a kind, next to the existing ones (nothing is ended). */
  async issueCredential(clientId: string, kind: CredentialKind, actor: Actor, answering?: Answering<IssuedCredential>): Promise<IssuedCredential> {
    const dbKind = KIND_TO_DB[kind];
    if (!dbKind || dbKind === 'ADMIN_KEY') throw unsupportedCredentialKind();
    return this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const client = await this.repository.findClientById(clientId, tx);
      if (!client) throw clientNotFound();
      const issued = await this.issueInTx(tx, client, dbKind);
      const result = { credential: toCredentialView(issued.row), secret: issued.secret };
      await this.audit.recordAnswered(this.event(actor, 'credential.issue', 'success', { clientId, credential: refOf(issued.row) }), tx, answering, result);
      return result;
    });
  }

  /** Admin rotation of the kind of the given credential (API key, client secret or JWT key). */
  async rotateCredential(
    clientId: string,
    credentialId: string,
    actor: Actor,
    gracePeriodSeconds = this.environment.CREDENTIAL_GRACE_PERIOD_SECONDS,
    answering?: Answering<RotationResult>,
  ): Promise<RotationResult> {
    const existing = UUID.test(credentialId) ? await this.repository.findCredentialById(credentialId) : null;
    if (!existing || existing.clientId !== clientId) throw credentialNotFound();
    if (existing.kind === 'ADMIN_KEY') throw unsupportedCredentialKind();
    if (existing.status !== 'ACTIVE') throw credentialNotActive();
    return this.rotate(clientId, existing.kind, actor, gracePeriodSeconds, existing.id, answering);
  }

  /**
   * Self-service API key rotation: the caller proves it holds the client secret as well as an API
   * key. A wrong secret gets the uniform 401 and is audited as a failed rotation.
   */
  async rotateApiKeyWithSecret(clientId: string, clientSecret: string, actor: Actor, answering?: Answering<RotationResult>): Promise<RotationResult> {
    if (!(await this.isClientSecretOf(clientId, clientSecret))) {
      await this.repository.transaction((tx) =>
        this.audit.record(this.event(actor, 'credential.rotate', 'failure', { clientId, httpStatus: 401, errorCode: 'UNAUTHORIZED', detail: { kind: 'api_key', reason: 'client secret not accepted' } }), tx),
      );
      throw unauthenticated();
    }
    return this.rotate(clientId, 'API_KEY', actor, this.environment.CREDENTIAL_GRACE_PERIOD_SECONDS, actor.credential?.id, answering);
  }

  /** Immediate and irreversible. */
  async revokeCredential(clientId: string | null, credentialId: string, actor: Actor): Promise<CredentialView> {
    const revoked = await this.repository.transaction(async (tx) => {
      const existing = UUID.test(credentialId) ? await this.repository.findCredentialById(credentialId, tx) : null;
      if (!existing || existing.clientId !== clientId) throw credentialNotFound();
      if (existing.status !== 'ACTIVE') throw credentialNotActive();
      const now = this.clock.now();
      await this.repository.endCredentials([existing.id], 'REVOKED', now, tx);
      await this.audit.record(this.event(actor, 'credential.revoke', 'success', { clientId: clientId ?? undefined, credential: refOf(existing) }), tx);
      return { ...existing, status: 'REVOKED' as const, endedAt: now };
    });
    this.cache.clear();
    return toCredentialView(revoked);
  }

  private async isClientSecretOf(clientId: string, clientSecret: string): Promise<boolean> {
    const record = await this.cache.byHash(keyHash(this.secrets.apiKeyPepper, clientSecret));
    const now = this.clock.now();
    // Same comparison whether or not a record was found, so both paths cost the same.
    const sameClient = this.cache.sameClient(record?.clientId ?? '', clientId);
    return sameClient && record !== null && record.kind === 'CLIENT_SECRET' && this.cache.isUsable(record, now);
  }

  /**
   * Issues the successor and schedules the end of what it replaces, in one transaction with the
   * audit event. The current credentials of the kind keep working for the grace period; any still
   * in an earlier grace period end now (a new rotation ends a pending one).
   */
  private async rotate(
    clientId: string,
    kind: DbCredentialKind,
    actor: Actor,
    gracePeriodSeconds: number,
    rotatedFromId?: string,
    answering?: Answering<RotationResult>,
  ): Promise<RotationResult> {
    const result = await this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const client = await this.repository.findClientById(clientId, tx);
      if (!client) throw clientNotFound();
      const now = this.clock.now();
      const active = await this.repository.lockActiveOfKind(clientId, kind, tx);
      const inGrace = active.filter((row) => row.expires_at !== null).map((row) => row.id);
      const current = active.filter((row) => row.expires_at === null).map((row) => row.id);
      const validUntil = new Date(now.getTime() + gracePeriodSeconds * 1000);
      await this.repository.endCredentials(inGrace, 'EXPIRED', now, tx);
      if (gracePeriodSeconds === 0) {
        await this.repository.endCredentials(current, 'EXPIRED', now, tx);
      } else {
        for (const id of current) await this.repository.setExpiry(id, validUntil, tx);
      }
      const issued = await this.issueInTx(tx, client, kind, { rotatedFromId });
      const rotated = { credential: toCredentialView(issued.row), secret: issued.secret, previousValidUntil: validUntil.toISOString() };
      await this.audit.recordAnswered(
        this.event(actor, 'credential.rotate', 'success', {
          clientId,
          credential: refOf(issued.row),
          detail: { kind: KIND_FROM_DB[kind], replaced: current, endedPendingGrace: inGrace, previousValidUntil: validUntil.toISOString(), gracePeriodSeconds },
        }),
        tx,
        answering,
        rotated,
      );
      return rotated;
    });
    this.cache.clear();
    return result;
  }

  private async issueInTx(
    tx: Tx,
    client: ApiClient | null,
    kind: DbCredentialKind,
    options: { role?: AdminRole; rotatedFromId?: string } = {},
  ): Promise<{ row: Credential; secret: string }> {
    const id = randomUUID();
    if (kind === 'JWT_KEY') {
      const secret = generateJwtSecret();
      const sealed = this.box.seal(secret);
      const row = await this.repository.createCredential(
        { id, clientId: client?.id, kind, fingerprint: fingerprintOf(secret), sealedSecret: sealed.ciphertext, sealedKeyVersion: sealed.keyVersion, rotatedFromId: options.rotatedFromId, createdAt: this.clock.now() },
        tx,
      );
      return { row, secret };
    }
    const prefix =
      kind === 'ADMIN_KEY'
        ? SECRET_PREFIXES.adminKey
        : kind === 'CLIENT_SECRET'
          ? SECRET_PREFIXES.clientSecret
          : client?.environment === 'LIVE'
            ? SECRET_PREFIXES.liveApiKey
            : SECRET_PREFIXES.sandboxApiKey;
    const secret = generateSecret(prefix);
    const row = await this.repository.createCredential(
      {
        id,
        clientId: client?.id,
        kind,
        keyHash: keyHash(this.secrets.apiKeyPepper, secret),
        fingerprint: fingerprintOf(secret),
        role: options.role === undefined ? undefined : options.role === 'admin' ? 'ADMIN' : 'AUDITOR',
        rotatedFromId: options.rotatedFromId,
        createdAt: this.clock.now(),
      },
      tx,
    );
    return { row, secret };
  }

  private event(
    actor: Actor,
    action: string,
    outcome: 'success' | 'failure',
    extra: Partial<CredentialAuditEvent>,
  ): CredentialAuditEvent {
    return {
      action,
      contract: actor.contract,
      actorType: actor.type,
      actorId: actor.id,
      correlationId: actor.correlationId,
      outcome,
      ...extra,
      credential: extra.credential ?? actor.credential,
    };
  }
}
