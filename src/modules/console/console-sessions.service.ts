import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedConsoleUser, ConsoleRole } from '../../common/auth/caller.js';
import { ConsoleSessionAuthenticator } from '../../common/auth/console-session.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import { AuditService, type AuditEventInput } from '../audit/audit.service.js';
import { SecretBox, storedSealedSecret } from '../../common/crypto/secret-box.js';
import {
  decoyPasswordHash,
  newToken,
  passwordMatches,
  tokenHash,
  totpStep,
} from './console-credentials.js';
import { ConsoleRepository, type SessionWithUser, type Tx } from './console.repository.js';
import { normalizeEmail, ROLE_FROM_DB, totpRequiredFor } from './console-users.service.js';
import { ConsoleCodes, consoleUnauthenticated, roleNotAllowed } from './console.errors.js';

const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type SignInFailure =
  | 'unknown_user'
  | 'not_activated'
  | 'disabled'
  | 'locked'
  | 'wrong_password'
  | 'wrong_code'
  | 'no_second_factor';

export type SignInResult =
  | { ok: true; token: string; userId: string; sessionId: string; user: AuthenticatedConsoleUser }
  | { ok: false; reason: SignInFailure; userId?: string; lockedNow: boolean };

function single(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Console sign-in and server-side sessions. The cookie carries a random token (only its SHA-256
 * is stored); a session ends at sign-out, after CONSOLE_SESSION_IDLE_SECONDS without a request or
 * CONSOLE_SESSION_ABSOLUTE_SECONDS after sign-in. State-changing calls must also carry the
 * session's CSRF token in `X-CSRF-Token` (an HMAC of the session id under a server key, so it
 * needs no storage and cannot be derived from the cookie). Sign-ins, failures, locks, sign-outs
 * and timeouts are recorded with the change they make, in one transaction.
 */
@Injectable()
export class ConsoleSessionsService extends ConsoleSessionAuthenticator {
  private readonly csrfKey: Buffer;

  constructor(
    private readonly repository: ConsoleRepository,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly environment: Environment,
    private readonly clock: Clock,
    secrets: ServerSecrets,
  ) {
    super();
    this.csrfKey = createHmac('sha256', secrets.apiKeyPepper)
      .update('mig console csrf v1')
      .digest();
  }

  get secureCookie(): boolean {
    return this.environment.CONSOLE_COOKIE_SECURE ?? this.environment.isProduction;
  }

  /** `__Host-` makes the browser refuse the cookie unless Secure, host-only and Path=/. */
  get cookieName(): string {
    return this.secureCookie ? '__Host-mig_console' : 'mig_console';
  }

  sessionCookie(token: string): string {
    return stringifySetCookie({
      name: this.cookieName,
      value: token,
      httpOnly: true,
      secure: this.secureCookie,
      sameSite: 'strict',
      path: '/',
      maxAge: this.environment.CONSOLE_SESSION_ABSOLUTE_SECONDS,
    });
  }

  clearedCookie(): string {
    return stringifySetCookie({
      name: this.cookieName,
      value: '',
      httpOnly: true,
      secure: this.secureCookie,
      sameSite: 'strict',
      path: '/',
      maxAge: 0,
    });
  }

  csrfTokenOf(sessionId: string): string {
    return createHmac('sha256', this.csrfKey).update(sessionId).digest('base64url');
  }

  /**
   * `replacing` is the session token the browser presented, if any. A sign-in never keeps it: the
   * new session gets a fresh token, and the presented session (which may have been planted by
   * someone else, i.e. session fixation) is ended in the same transaction.
   */
  async signIn(
    input: { email: string; password: string; code?: string },
    correlationId: string,
    replacing?: string,
  ): Promise<SignInResult> {
    const email = normalizeEmail(input.email);
    const user = await this.repository.findUserByEmail(email);
    if (!user?.passwordHash) {
      // The same argon2 work as for a real account, so timing does not tell which emails exist.
      await passwordMatches(await decoyPasswordHash(), input.password);
      return {
        ok: false,
        reason: user ? 'not_activated' : 'unknown_user',
        userId: user?.id,
        lockedNow: false,
      };
    }
    const passwordOk = await passwordMatches(user.passwordHash, input.password);
    const now = this.clock.now();
    const actor = { type: 'console_user' as const, id: user.id, correlationId };
    return this.repository.transaction(async (tx): Promise<SignInResult> => {
      await this.repository.lockUser(user.id, tx);
      const current = await this.repository.findUserById(user.id, tx);
      // Read under the row lock just taken, so it exists unless the row was deleted in between.
      if (!current) throw new Error('console user vanished while signing in');
      const fail = async (reason: SignInFailure, counts: boolean): Promise<SignInResult> => {
        let lockedNow = false;
        if (counts) {
          const failures = current.failedAttempts + 1;
          lockedNow = failures >= this.environment.CONSOLE_LOCKOUT_THRESHOLD;
          const lockedUntil = new Date(
            now.getTime() + this.environment.CONSOLE_LOCKOUT_SECONDS * 1000,
          );
          await this.repository.updateUser(
            user.id,
            lockedNow ? { failedAttempts: 0, lockedUntil } : { failedAttempts: failures },
            tx,
          );
          await this.record(tx, actor, 'console_user.sign_in', 'failure', {
            errorCode: ConsoleCodes.signInFailed,
            detail: { userId: user.id, reason, failedAttempts: failures },
          });
          if (lockedNow) {
            await this.record(
              tx,
              { type: 'system', correlationId },
              'console_user.lock',
              'success',
              {
                detail: {
                  userId: user.id,
                  failedAttempts: failures,
                  lockedUntil: lockedUntil.toISOString(),
                },
              },
            );
          }
        } else {
          await this.record(tx, actor, 'console_user.sign_in', 'failure', {
            errorCode: ConsoleCodes.signInFailed,
            detail: { userId: user.id, reason },
          });
        }
        return { ok: false, reason, userId: user.id, lockedNow };
      };

      if (current.status === 'DISABLED') return fail('disabled', false);
      if (current.status !== 'ACTIVE' || !current.passwordHash) return fail('not_activated', false);
      // While locked even the right password is refused, and nothing is counted.
      if (current.lockedUntil && current.lockedUntil > now) return fail('locked', false);
      if (!passwordOk) return fail('wrong_password', true);

      let step: number | undefined;
      if (current.totpSealed) {
        const secret = this.box.open(
          storedSealedSecret(current.totpSealed, current.totpKeyVersion),
        );
        step = totpStep(secret, input.code ?? '', now);
        // A code is accepted once: a step at or before the last accepted one is a replay.
        if (
          step === undefined ||
          (current.totpLastStep !== null && BigInt(step) <= current.totpLastStep)
        )
          return fail('wrong_code', true);
      } else if (totpRequiredFor(ROLE_FROM_DB[current.role])) {
        return fail('no_second_factor', false);
      }

      if (replacing !== undefined) {
        const previous = await this.repository.findSessionByTokenHash(tokenHash(replacing), tx);
        if (previous && (await this.repository.endSession(previous.id, 'replaced', now, tx))) {
          await this.record(
            tx,
            { type: 'system', correlationId },
            'console_user.session_end',
            'success',
            { detail: { userId: previous.userId, sessionId: previous.id, reason: 'replaced' } },
          );
        }
      }
      const token = newToken();
      const sessionId = randomUUID();
      const expiresAt = new Date(
        now.getTime() + this.environment.CONSOLE_SESSION_ABSOLUTE_SECONDS * 1000,
      );
      await this.repository.updateUser(
        user.id,
        {
          failedAttempts: 0,
          lockedUntil: null,
          lastSignInAt: now,
          ...(step !== undefined ? { totpLastStep: BigInt(step) } : {}),
        },
        tx,
      );
      await this.repository.createSession(
        { id: sessionId, tokenHash: tokenHash(token), userId: user.id, now, expiresAt },
        tx,
      );
      await this.record(
        tx,
        { ...actor, credential: this.sessionRef(sessionId) },
        'console_user.sign_in',
        'success',
        { detail: { userId: user.id, sessionId, secondFactor: step !== undefined } },
      );
      return {
        ok: true,
        token,
        userId: user.id,
        sessionId,
        user: this.callerFrom(current, sessionId, expiresAt),
      };
    });
  }

  /** The guard's check of a console route (see ConsoleSessionAuthenticator). */
  async authenticate(
    request: FastifyRequest,
    roles: ConsoleRole[],
  ): Promise<AuthenticatedConsoleUser> {
    const unsafe = !SAFE_METHODS.has(request.method);
    if (unsafe) {
      // Fetch metadata: a browser marks requests made by other sites; only same-origin (or typed-in) may change anything.
      const site = single(request, 'sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none')
        throw consoleUnauthenticated();
    }
    const session = await this.openSession(request);
    if (!session) throw consoleUnauthenticated();
    if (unsafe && !this.csrfMatches(session.id, request.headers[CSRF_HEADER]))
      throw consoleUnauthenticated();
    const user = this.toCaller(session);
    if (!roles.includes(user.role)) throw roleNotAllowed();
    return user;
  }

  /** The signed-in user of a page request (no CSRF: pages are GETs), or undefined. */
  async pageUser(request: FastifyRequest): Promise<AuthenticatedConsoleUser | undefined> {
    const session = await this.openSession(request);
    return session ? this.toCaller(session) : undefined;
  }

  async signOut(user: AuthenticatedConsoleUser, correlationId: string): Promise<void> {
    await this.repository.transaction(async (tx) => {
      if (await this.repository.endSession(user.credential.id, 'sign_out', this.clock.now(), tx)) {
        await this.record(
          tx,
          { type: 'console_user', id: user.userId, credential: user.credential, correlationId },
          'console_user.sign_out',
          'success',
          { detail: { userId: user.userId, sessionId: user.credential.id } },
        );
      }
    });
  }

  /** Ended sessions are kept 30 days (who was signed in when), then deleted. */
  purgeOldSessions(): Promise<number> {
    return this.repository.deleteSessionsEndedBefore(
      new Date(this.clock.now().getTime() - 30 * 86_400_000),
    );
  }

  /** The well-formed session token the request's cookie carries, if any (not checked against the database). */
  presentedToken(request: FastifyRequest): string | undefined {
    const header = request.headers.cookie;
    if (typeof header !== 'string' || header.length > 8_192) return undefined;
    const token = parseCookie(header)[this.cookieName];
    return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : undefined;
  }

  private async openSession(request: FastifyRequest): Promise<SessionWithUser | undefined> {
    const token = this.presentedToken(request);
    if (!token) return undefined;
    const session = await this.repository.findSessionByTokenHash(tokenHash(token));
    if (!session || session.endedAt !== null || session.user.status !== 'ACTIVE') return undefined;
    const now = this.clock.now();
    const idleMs = this.environment.CONSOLE_SESSION_IDLE_SECONDS * 1000;
    const timedOut =
      session.expiresAt <= now
        ? 'expired'
        : now.getTime() - session.lastSeenAt.getTime() > idleMs
          ? 'idle'
          : undefined;
    if (timedOut) {
      await this.repository.transaction(async (tx) => {
        if (await this.repository.endSession(session.id, timedOut, now, tx)) {
          await this.record(
            tx,
            { type: 'system', correlationId: request.id },
            'console_user.session_end',
            'success',
            { detail: { userId: session.userId, sessionId: session.id, reason: timedOut } },
          );
        }
      });
      return undefined;
    }
    // One write per interval, not per request: the idle clock is precise to a tenth of the timeout.
    if (now.getTime() - session.lastSeenAt.getTime() > Math.min(30_000, idleMs / 10))
      await this.repository.touchSession(session.id, now);
    return session;
  }

  private csrfMatches(sessionId: string, presented: string | string[] | undefined): boolean {
    if (typeof presented !== 'string' || presented.length > 100) return false;
    const expected = Buffer.from(this.csrfTokenOf(sessionId));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private toCaller(session: SessionWithUser): AuthenticatedConsoleUser {
    return this.callerFrom(session.user, session.id, session.expiresAt);
  }

  private callerFrom(
    user: SessionWithUser['user'],
    sessionId: string,
    expiresAt: Date,
  ): AuthenticatedConsoleUser {
    return {
      kind: 'console_user',
      userId: user.id,
      email: user.email,
      role: ROLE_FROM_DB[user.role],
      clientIds: user.clients.map((binding) => binding.clientId),
      credential: this.sessionRef(sessionId),
      sessionExpiresAt: expiresAt.toISOString(),
    };
  }

  private sessionRef(sessionId: string): AuthenticatedConsoleUser['credential'] {
    return {
      kind: 'console_session',
      id: sessionId,
      fingerprint: createHash('sha256').update(sessionId).digest('hex').slice(0, 16),
    };
  }

  private record(
    tx: Tx,
    actor: {
      type: 'console_user' | 'system';
      id?: string;
      credential?: AuthenticatedConsoleUser['credential'];
      correlationId?: string;
    },
    action: string,
    outcome: 'success' | 'failure',
    extra: Partial<AuditEventInput>,
  ): Promise<void> {
    return this.audit.record(
      {
        action,
        contract: actor.type === 'system' ? 'system' : 'admin',
        actorType: actor.type,
        actorId: actor.id,
        credential: actor.credential,
        correlationId: actor.correlationId,
        outcome,
        ...extra,
      },
      tx,
    );
  }
}
