import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AdminRole } from '../../common/auth/auth.decorators.js';
import type { CredentialKind } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import {
  CredentialAudit,
  eventBy,
  SYSTEM_ACTOR,
  type Actor,
  type Answering,
} from './credential-audit.js';
import { CredentialCache } from './credential-cache.js';
import {
  fingerprintOf,
  generateJwtSecret,
  generateSecret,
  keyHash,
  SECRET_PREFIXES,
} from './credential-format.js';
import {
  KIND_FROM_DB,
  KIND_TO_DB,
  refOf,
  toCredentialView,
  type CredentialView,
  type IssuedCredential,
  type RotationResult,
} from './credential-views.js';
import {
  adminExists,
  bootstrapDisabled,
  clientNotFound,
  credentialNotActive,
  credentialNotFound,
  unauthenticated,
  unsupportedCredentialKind,
} from './credentials.errors.js';
import {
  CredentialsRepository,
  type ApiClient,
  type Credential,
  type CredentialKind as DbCredentialKind,
  type Tx,
} from './credentials.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Credentials and admin keys: issue, rotate, revoke. Every change runs in one transaction with its
 * audit event, so a key is never issued (or ended) without the record of it.
 */
@Injectable()
export class CredentialIssuanceService {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly audit: CredentialAudit,
    private readonly box: SecretBox,
    private readonly secrets: ServerSecrets,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly cache: CredentialCache,
  ) {}

  async createAdminKey(
    role: AdminRole,
    actor: Actor = SYSTEM_ACTOR,
    answering?: Answering<{ id: string; key: string }>,
  ): Promise<{ id: string; key: string }> {
    return this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const issued = await this.issueInTx(tx, null, 'ADMIN_KEY', { role });
      const created = { id: issued.row.id, key: issued.secret };
      await this.audit.recordAnswered(
        eventBy(actor, 'admin_key.create', 'success', {
          credential: refOf(issued.row),
          detail: { role },
        }),
        tx,
        answering,
        created,
      );
      return created;
    });
  }

  /**
   * The first admin key, only while no admin key was ever issued: the check and the issue share a
   * transaction with a marker row, so two instances starting at once create one key between them.
   * Undefined when an admin key exists already.
   */
  async createFirstAdminKey(
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<{ id: string; key: string } | undefined> {
    return this.repository.transaction(async (tx) => {
      if (await this.repository.anyAdminKeyIssued(tx)) return undefined;
      if (
        !(await this.repository.claimSystemSetting(
          'credentials.first_admin',
          { at: this.clock.now().toISOString() },
          tx,
        ))
      )
        return undefined;
      const issued = await this.issueInTx(tx, null, 'ADMIN_KEY', { role: 'admin' });
      await this.audit.record(
        eventBy(actor, 'admin_key.create', 'success', {
          credential: refOf(issued.row),
          detail: { role: 'admin', firstAdmin: true },
        }),
        tx,
      );
      return { id: issued.row.id, key: issued.secret };
    });
  }

  /**
   * ADMIN_BOOTSTRAP_SECRET exchanged for the first admin key. The secret is compared by digest in
   * constant time and never stored; the key is issued only while no admin key was ever issued.
   */
  async bootstrapAdminKey(
    presented: string,
    correlationId: string,
  ): Promise<{ id: string; key: string }> {
    const configured = this.environment.ADMIN_BOOTSTRAP_SECRET;
    if (configured === undefined) throw bootstrapDisabled();
    const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
    if (!timingSafeEqual(digest(presented), digest(configured))) throw unauthenticated('admin');
    const created = await this.createFirstAdminKey({
      type: 'system',
      id: 'admin_bootstrap',
      contract: 'admin',
      correlationId,
    });
    if (!created) throw adminExists();
    return created;
  }

  /** An additional credential of a kind, next to the existing ones (nothing is ended). */
  async issueCredential(
    clientId: string,
    kind: CredentialKind,
    actor: Actor,
    answering?: Answering<IssuedCredential>,
  ): Promise<IssuedCredential> {
    const dbKind = KIND_TO_DB[kind];
    if (!dbKind || dbKind === 'ADMIN_KEY') throw unsupportedCredentialKind();
    return this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const client = await this.repository.findClientById(clientId, tx);
      if (!client) throw clientNotFound();
      const issued = await this.issueInTx(tx, client, dbKind);
      const result = { credential: toCredentialView(issued.row), secret: issued.secret };
      await this.audit.recordAnswered(
        eventBy(actor, 'credential.issue', 'success', { clientId, credential: refOf(issued.row) }),
        tx,
        answering,
        result,
      );
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
    const existing = UUID.test(credentialId)
      ? await this.repository.findCredentialById(credentialId)
      : null;
    if (!existing || existing.clientId !== clientId) throw credentialNotFound();
    if (existing.kind === 'ADMIN_KEY') throw unsupportedCredentialKind();
    if (existing.status !== 'ACTIVE') throw credentialNotActive();
    return this.rotate(clientId, existing.kind, actor, gracePeriodSeconds, existing.id, answering);
  }

  /**
   * Self-service API key rotation: the caller proves it holds the client secret as well as an API
   * key. A wrong secret gets the uniform 401 and is audited as a failed rotation.
   */
  async rotateApiKeyWithSecret(
    clientId: string,
    clientSecret: string,
    actor: Actor,
    answering?: Answering<RotationResult>,
  ): Promise<RotationResult> {
    if (!(await this.isClientSecretOf(clientId, clientSecret))) {
      await this.repository.transaction((tx) =>
        this.audit.record(
          eventBy(actor, 'credential.rotate', 'failure', {
            clientId,
            httpStatus: 401,
            errorCode: 'UNAUTHORIZED',
            detail: { kind: 'api_key', reason: 'client secret not accepted' },
          }),
          tx,
        ),
      );
      throw unauthenticated();
    }
    return this.rotate(
      clientId,
      'API_KEY',
      actor,
      this.environment.CREDENTIAL_GRACE_PERIOD_SECONDS,
      actor.credential?.id,
      answering,
    );
  }

  /** Immediate and irreversible. */
  async revokeCredential(
    clientId: string | null,
    credentialId: string,
    actor: Actor,
  ): Promise<CredentialView> {
    const revoked = await this.repository.transaction(async (tx) => {
      const existing = UUID.test(credentialId)
        ? await this.repository.findCredentialById(credentialId, tx)
        : null;
      if (!existing || existing.clientId !== clientId) throw credentialNotFound();
      if (existing.status !== 'ACTIVE') throw credentialNotActive();
      const now = this.clock.now();
      await this.repository.endCredentials([existing.id], 'REVOKED', now, tx);
      await this.audit.record(
        eventBy(actor, 'credential.revoke', 'success', {
          clientId: clientId ?? undefined,
          credential: refOf(existing),
        }),
        tx,
      );
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
    return (
      sameClient &&
      record !== null &&
      record.kind === 'CLIENT_SECRET' &&
      this.cache.isUsable(record, now)
    );
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
      const rotated = {
        credential: toCredentialView(issued.row),
        secret: issued.secret,
        previousValidUntil: validUntil.toISOString(),
      };
      await this.audit.recordAnswered(
        eventBy(actor, 'credential.rotate', 'success', {
          clientId,
          credential: refOf(issued.row),
          detail: {
            kind: KIND_FROM_DB[kind],
            replaced: current,
            endedPendingGrace: inGrace,
            previousValidUntil: validUntil.toISOString(),
            gracePeriodSeconds,
          },
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

  /** Issues one credential inside the caller's transaction (a new client's first three). */
  async issueInTx(
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
        {
          id,
          clientId: client?.id,
          kind,
          fingerprint: fingerprintOf(secret),
          sealedSecret: sealed.ciphertext,
          sealedKeyVersion: sealed.keyVersion,
          rotatedFromId: options.rotatedFromId,
          createdAt: this.clock.now(),
        },
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
        role:
          options.role === undefined ? undefined : options.role === 'admin' ? 'ADMIN' : 'AUDITOR',
        rotatedFromId: options.rotatedFromId,
        createdAt: this.clock.now(),
      },
      tx,
    );
    return { row, secret };
  }
}
