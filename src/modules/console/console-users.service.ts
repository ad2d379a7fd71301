import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type {
  ClientEnvironment,
  ConsoleRole as ConsoleRoleName,
} from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { AuditService, type AuditEventInput } from '../audit/audit.service.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import type { Actor } from '../credentials/credential-audit.js';
import { SecretBox, storedSealedSecret } from '../../common/crypto/secret-box.js';
import {
  hashPassword,
  newToken,
  newTotpSecret,
  passwordMatches,
  passwordProblem,
  tokenHash,
  totpStep,
  totpUri,
} from './console-credentials.js';
import {
  currentPasswordWrong,
  invalidClientBinding,
  invitationInvalid,
  ownAccount,
  totpCodeInvalid,
  userExists,
  userNotFound,
  weakPassword,
} from './console.errors.js';
import { ConsoleRepository, type ConsoleUserWithClients, type Tx } from './console.repository.js';

export interface ConsoleUserView {
  id: string;
  email: string;
  role: ConsoleRoleName;
  status: 'invited' | 'active' | 'disabled';
  clients: { clientId: string; environment: ClientEnvironment }[];
  totpEnabled: boolean;
  locked: boolean;
  lockedUntil: string | null;
  lastSignInAt: string | null;
  invitationExpiresAt: string | null;
  createdAt: string;
}

/** A one-time invitation: the token is shown once, to the admin who made it. */
export interface Invitation {
  user: ConsoleUserView;
  token: string;
  /** Where the invited person sets their password: the token sits in the fragment, so it never reaches a server log. */
  path: string;
  expiresAt: string;
}

export interface InvitationDetails {
  email: string;
  role: ConsoleRoleName;
  totpRequired: boolean;
  /** The second-factor secret to enrol (kept, unconfirmed, until the invitation is accepted). */
  totp: { secret: string; uri: string };
}

export const ROLE_FROM_DB = { ADMIN: 'admin', AUDITOR: 'auditor', CLIENT: 'client' } as const;
const ROLE_TO_DB = { admin: 'ADMIN', auditor: 'AUDITOR', client: 'CLIENT' } as const;
const STATUS_FROM_DB = { INVITED: 'invited', ACTIVE: 'active', DISABLED: 'disabled' } as const;

/** Admins and auditors must have a second factor; client users may. */
export function totpRequiredFor(role: ConsoleRoleName): boolean {
  return role !== 'client';
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Who changed a console account, for its audit event (a console user, or the CLI). */
export type ConsoleActor = Actor;

/**
 * Console accounts: invitations (the first admin's from the CLI), password and second-factor
 * enrolment, disabling, unlocking. Each change commits in one transaction with its audit event.
 */
@Injectable()
export class ConsoleUsersService {
  constructor(
    private readonly repository: ConsoleRepository,
    private readonly views: CredentialViewsService,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {}

  view(user: ConsoleUserWithClients): ConsoleUserView {
    const now = this.clock.now();
    return {
      id: user.id,
      email: user.email,
      role: ROLE_FROM_DB[user.role],
      status: STATUS_FROM_DB[user.status],
      clients: user.clients
        .map((binding) => ({ clientId: binding.clientId, environment: binding.environment }))
        .sort((a, b) => a.environment.localeCompare(b.environment)),
      totpEnabled: user.totpSealed !== null,
      locked: user.lockedUntil !== null && user.lockedUntil > now,
      lockedUntil:
        user.lockedUntil && user.lockedUntil > now ? user.lockedUntil.toISOString() : null,
      lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
      invitationExpiresAt: user.invitationHash
        ? (user.invitationExpiresAt?.toISOString() ?? null)
        : null,
      createdAt: user.createdAt.toISOString(),
    };
  }

  async get(userId: string): Promise<ConsoleUserView> {
    const user = await this.repository.findUserById(userId);
    if (!user) throw userNotFound();
    return this.view(user);
  }

  async list(): Promise<ConsoleUserView[]> {
    return (await this.repository.listUsers()).map((user) => this.view(user));
  }

  /**
   * Creates the account with a one-time invitation. A client user is bound to one client per
   * environment (a sandbox and a live client of the same customer); admins and auditors to none.
   */
  async invite(
    input: { email: string; role: ConsoleRoleName; clientIds?: string[] },
    actor: ConsoleActor,
  ): Promise<Invitation> {
    const email = normalizeEmail(input.email);
    const clients = await this.bindingsFor(input.role, input.clientIds ?? []);
    const token = newToken();
    const expiresAt = new Date(
      this.clock.now().getTime() + this.environment.CONSOLE_INVITATION_TTL_HOURS * 3_600_000,
    );
    const user = await this.repository.transaction(async (tx) => {
      if (await this.repository.findUserByEmail(email, tx)) throw userExists();
      const created = await this.repository.createUser(
        {
          id: randomUUID(),
          email,
          role: ROLE_TO_DB[input.role],
          invitationHash: tokenHash(token),
          invitationExpiresAt: expiresAt,
          clients,
        },
        tx,
      );
      await this.record(tx, actor, 'console_user.invite', {
        detail: {
          userId: created.id,
          role: input.role,
          clientIds: clients.map((client) => client.clientId),
        },
      });
      return created;
    });
    return {
      user: this.view(user),
      token,
      path: `/console/invite#${token}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** A new invitation for an existing account: its password, second factor and sessions end. */
  async reinvite(userId: string, actor: ConsoleActor): Promise<Invitation> {
    if (actor.id === userId) throw ownAccount();
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = new Date(
      now.getTime() + this.environment.CONSOLE_INVITATION_TTL_HOURS * 3_600_000,
    );
    const user = await this.repository.transaction(async (tx) => {
      if (!(await this.repository.findUserById(userId, tx))) throw userNotFound();
      const updated = await this.repository.updateUser(
        userId,
        {
          status: 'INVITED',
          passwordHash: null,
          totpSealed: null,
          totpKeyVersion: null,
          totpPendingSealed: null,
          totpPendingKeyVersion: null,
          totpLastStep: null,
          failedAttempts: 0,
          lockedUntil: null,
          invitationHash: tokenHash(token),
          invitationExpiresAt: expiresAt,
        },
        tx,
      );
      const ended = await this.repository.endSessionsOfUser(userId, 'user_reset', now, tx);
      await this.record(tx, actor, 'console_user.reinvite', {
        detail: { userId, endedSessions: ended },
      });
      return updated;
    });
    return {
      user: this.view(user),
      token,
      path: `/console/invite#${token}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** What the invitation page shows: whose it is and the second-factor secret to enrol. */
  async lookupInvitation(token: string): Promise<InvitationDetails> {
    const user = await this.openInvitation(token);
    const secret = await this.pendingTotpSecret(user);
    const role = ROLE_FROM_DB[user.role];
    return {
      email: user.email,
      role,
      totpRequired: totpRequiredFor(role),
      totp: { secret, uri: totpUri(secret, user.email) },
    };
  }

  /** Sets the password (and the second factor, required for admins and auditors); the account becomes active. */
  async acceptInvitation(
    token: string,
    password: string,
    code: string | undefined,
  ): Promise<ConsoleUserView> {
    const user = await this.openInvitation(token);
    const role = ROLE_FROM_DB[user.role];
    const problem = passwordProblem(password, user.email);
    if (problem) throw weakPassword(problem);
    const now = this.clock.now();
    let step: number | undefined;
    if (code !== undefined && code !== '') {
      step = user.totpPendingSealed
        ? totpStep(
            this.box.open(storedSealedSecret(user.totpPendingSealed, user.totpPendingKeyVersion)),
            code,
            now,
          )
        : undefined;
      if (step === undefined) throw totpCodeInvalid();
    } else if (totpRequiredFor(role)) {
      throw totpCodeInvalid();
    }
    const passwordHash = await hashPassword(password);
    const accepted = await this.repository.transaction(async (tx) => {
      // Re-read under the transaction: two tabs accepting the same invitation, one wins.
      const current = await this.repository.findUserByInvitation(tokenHash(token), tx);
      if (!current || current.id !== user.id) throw invitationInvalid();
      const updated = await this.repository.updateUser(
        user.id,
        {
          status: 'ACTIVE',
          passwordHash,
          invitationHash: null,
          invitationExpiresAt: null,
          ...(step !== undefined
            ? {
                totpSealed: current.totpPendingSealed,
                totpKeyVersion: current.totpPendingKeyVersion,
                totpPendingSealed: null,
                totpPendingKeyVersion: null,
                totpLastStep: BigInt(step),
              }
            : {}),
        },
        tx,
      );
      await this.record(
        tx,
        { type: 'console_user', id: user.id, contract: 'admin' },
        'console_user.activate',
        { detail: { userId: user.id, totpEnabled: step !== undefined } },
      );
      return updated;
    });
    return this.view(accepted);
  }

  async setStatus(
    userId: string,
    status: 'active' | 'disabled',
    actor: ConsoleActor,
  ): Promise<ConsoleUserView> {
    if (actor.id === userId) throw ownAccount();
    const now = this.clock.now();
    const user = await this.repository.transaction(async (tx) => {
      const existing = await this.repository.findUserById(userId, tx);
      if (!existing) throw userNotFound();
      // An invited account stays invited when enabled: it has no password yet.
      const next =
        status === 'disabled' ? 'DISABLED' : existing.passwordHash ? 'ACTIVE' : 'INVITED';
      const updated = await this.repository.updateUser(userId, { status: next }, tx);
      const ended =
        status === 'disabled'
          ? await this.repository.endSessionsOfUser(userId, 'user_disabled', now, tx)
          : 0;
      await this.record(
        tx,
        actor,
        status === 'disabled' ? 'console_user.disable' : 'console_user.enable',
        { detail: { userId, endedSessions: ended } },
      );
      return updated;
    });
    return this.view(user);
  }

  async unlock(userId: string, actor: ConsoleActor): Promise<ConsoleUserView> {
    const user = await this.repository.transaction(async (tx) => {
      if (!(await this.repository.findUserById(userId, tx))) throw userNotFound();
      const updated = await this.repository.updateUser(
        userId,
        { lockedUntil: null, failedAttempts: 0 },
        tx,
      );
      await this.record(tx, actor, 'console_user.unlock', { detail: { userId } });
      return updated;
    });
    return this.view(user);
  }

  /** A signed-in user without a second factor starts enrolling one (client users; the others have one). */
  async startTotpEnrolment(userId: string): Promise<{ secret: string; uri: string }> {
    const user = await this.repository.findUserById(userId);
    if (!user) throw userNotFound();
    const secret = newTotpSecret();
    const sealed = this.box.seal(secret);
    await this.repository.transaction((tx) =>
      this.repository.updateUser(
        userId,
        { totpPendingSealed: sealed.ciphertext, totpPendingKeyVersion: sealed.keyVersion },
        tx,
      ),
    );
    return { secret, uri: totpUri(secret, user.email) };
  }

  async confirmTotp(userId: string, code: string, actor: ConsoleActor): Promise<ConsoleUserView> {
    const now = this.clock.now();
    const user = await this.repository.transaction(async (tx) => {
      await this.repository.lockUser(userId, tx);
      const current = await this.repository.findUserById(userId, tx);
      if (!current) throw userNotFound();
      const step = current.totpPendingSealed
        ? totpStep(
            this.box.open(
              storedSealedSecret(current.totpPendingSealed, current.totpPendingKeyVersion),
            ),
            code,
            now,
          )
        : undefined;
      if (step === undefined) throw totpCodeInvalid();
      const updated = await this.repository.updateUser(
        userId,
        {
          totpSealed: current.totpPendingSealed,
          totpKeyVersion: current.totpPendingKeyVersion,
          totpPendingSealed: null,
          totpPendingKeyVersion: null,
          totpLastStep: BigInt(step),
        },
        tx,
      );
      await this.record(tx, actor, 'console_user.totp_enable', { detail: { userId } });
      return updated;
    });
    return this.view(user);
  }

  /** Changes the password; every other session of the user ends. */
  async changePassword(
    userId: string,
    sessionId: string,
    current: string,
    next: string,
    actor: ConsoleActor,
  ): Promise<void> {
    const user = await this.repository.findUserById(userId);
    if (!user?.passwordHash) throw userNotFound();
    if (!(await passwordMatches(user.passwordHash, current))) throw currentPasswordWrong();
    const problem = passwordProblem(next, user.email);
    if (problem) throw weakPassword(problem);
    const passwordHash = await hashPassword(next);
    await this.repository.transaction(async (tx) => {
      await this.repository.updateUser(userId, { passwordHash }, tx);
      const ended = await this.repository.endSessionsOfUser(
        userId,
        'password_changed',
        this.clock.now(),
        tx,
        sessionId,
      );
      await this.record(tx, actor, 'console_user.password_change', {
        detail: { userId, endedSessions: ended },
      });
    });
  }

  private async openInvitation(token: string): Promise<ConsoleUserWithClients> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw invitationInvalid();
    const user = await this.repository.findUserByInvitation(tokenHash(token));
    if (
      !user ||
      user.status === 'DISABLED' ||
      !user.invitationExpiresAt ||
      user.invitationExpiresAt <= this.clock.now()
    )
      throw invitationInvalid();
    return user;
  }

  private async pendingTotpSecret(user: ConsoleUserWithClients): Promise<string> {
    // The same secret on every visit of the link, so a code from an app that already scanned it still works.
    if (user.totpPendingSealed)
      return this.box.open(storedSealedSecret(user.totpPendingSealed, user.totpPendingKeyVersion));
    const secret = newTotpSecret();
    const sealed = this.box.seal(secret);
    await this.repository.transaction((tx) =>
      this.repository.updateUser(
        user.id,
        { totpPendingSealed: sealed.ciphertext, totpPendingKeyVersion: sealed.keyVersion },
        tx,
      ),
    );
    return secret;
  }

  private async bindingsFor(
    role: ConsoleRoleName,
    clientIds: string[],
  ): Promise<{ clientId: string; environment: ClientEnvironment }[]> {
    const unique = [...new Set(clientIds)];
    if (role !== 'client') {
      if (unique.length > 0) throw invalidClientBinding('Only client users are bound to clients.');
      return [];
    }
    if (unique.length === 0 || unique.length > 2)
      throw invalidClientBinding(
        'A client user is bound to one client, or to one sandbox and one live client.',
      );
    const bindings: { clientId: string; environment: ClientEnvironment }[] = [];
    for (const clientId of unique) {
      const client = await this.views.findClient(clientId);
      if (!client) throw invalidClientBinding('A client to bind does not exist.');
      bindings.push({ clientId, environment: client.environment });
    }
    if (bindings.length === 2 && bindings[0].environment === bindings[1].environment) {
      throw invalidClientBinding(
        'Two clients can be bound only when one is SANDBOX and the other LIVE.',
      );
    }
    return bindings;
  }

  private record(
    tx: Tx,
    actor: ConsoleActor,
    action: string,
    extra: Partial<AuditEventInput>,
  ): Promise<void> {
    return this.audit.record(
      {
        action,
        contract: actor.contract,
        actorType: actor.type,
        actorId: actor.id,
        credential: actor.credential,
        correlationId: actor.correlationId,
        outcome: 'success',
        ...extra,
      },
      tx,
    );
  }
}
