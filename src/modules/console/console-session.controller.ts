import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleAuth, CurrentConsoleUser } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import { Public } from '../../common/auth/public.decorator.js';
import { Environment } from '../../common/config/environment.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import { ConsoleSessionsService } from './console-sessions.service.js';
import {
  ConsoleUsersService,
  type ConsoleUserView,
  type InvitationDetails,
} from './console-users.service.js';
import { consoleActor, requireSameOrigin } from './console-request.js';
import { signInFailed } from './console.errors.js';
import {
  AcceptInvitationDto,
  ChangePasswordDto,
  InvitationTokenDto,
  SignInDto,
  TotpCodeDto,
} from './dto/console.dto.js';

export interface SessionView {
  user: {
    id: string;
    email: string;
    role: string;
    totpEnabled: boolean;
    clients: { clientId: string; name: string; environment: string }[];
  };
  csrfToken: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
}

const ALL_ROLES = ['admin', 'auditor', 'client'] as const;

/** Sign-in, the current session, sign-out, invitations and the user's own security settings. */
// The console's own API, for its pages only: not part of the published gateway API (OpenAPI).
@ApiExcludeController()
@ApiTags('console')
@Controller('console/api')
export class ConsoleSessionController {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly users: ConsoleUsersService,
    private readonly views: CredentialViewsService,
    private readonly environment: Environment,
  ) {}

  @Post('session')
  @Public()
  @HttpCode(200)
  @AuditAction('console.sign_in')
  @ApiOperation({
    summary:
      'Sign in with email, password and (when enrolled) a TOTP code; sets the session cookie.',
  })
  async signIn(
    @Body() body: SignInDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Ctx() ctx: RequestContext,
  ): Promise<SessionView> {
    requireSameOrigin(request);
    const result = await this.sessions.signIn(
      body,
      request.id,
      this.sessions.presentedToken(request),
    );
    if (!result.ok) {
      auditFacts(request).detail = {
        reason: result.reason,
        ...(result.userId ? { userId: result.userId } : {}),
        lockedNow: result.lockedNow,
      };
      throw signInFailed();
    }
    // The new session is this request's actor, so its own audit event names who signed in.
    ctx.caller = result.user;
    auditFacts(request).detail = { userId: result.userId, sessionId: result.sessionId };
    reply.header('set-cookie', this.sessions.sessionCookie(result.token));
    return this.describe(result.user);
  }

  @Get('session')
  @ConsoleAuth(...ALL_ROLES)
  @AuditAction('console.session.read')
  current(@CurrentConsoleUser() user: AuthenticatedConsoleUser): Promise<SessionView> {
    return this.describe(user);
  }

  @Delete('session')
  @ConsoleAuth(...ALL_ROLES)
  @HttpCode(204)
  @AuditAction('console.sign_out')
  async signOut(
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.signOut(user, request.id);
    reply.header('set-cookie', this.sessions.clearedCookie());
  }

  @Post('invitations/lookup')
  @Public()
  @HttpCode(200)
  @AuditAction('console.invitation.lookup')
  lookup(
    @Body() body: InvitationTokenDto,
    @Req() request: FastifyRequest,
  ): Promise<InvitationDetails> {
    requireSameOrigin(request);
    return this.users.lookupInvitation(body.token);
  }

  @Post('invitations/accept')
  @Public()
  @HttpCode(200)
  @AuditAction('console.invitation.accept')
  async accept(
    @Body() body: AcceptInvitationDto,
    @Req() request: FastifyRequest,
  ): Promise<ConsoleUserView> {
    requireSameOrigin(request);
    const user = await this.users.acceptInvitation(body.token, body.password, body.code);
    auditFacts(request).detail = { userId: user.id };
    return user;
  }

  @Post('me/totp')
  @ConsoleAuth(...ALL_ROLES)
  @HttpCode(200)
  @AuditAction('console.totp.start')
  @ApiOperation({
    summary: 'Start enrolling a second factor: answers the secret to put in an authenticator app.',
  })
  startTotp(
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
  ): Promise<{ secret: string; uri: string }> {
    return this.users.startTotpEnrolment(user.userId);
  }

  @Post('me/totp/confirm')
  @ConsoleAuth(...ALL_ROLES)
  @HttpCode(200)
  @AuditAction('console.totp.confirm')
  confirmTotp(
    @Body() body: TotpCodeDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<ConsoleUserView> {
    return this.users.confirmTotp(user.userId, body.code, consoleActor(user, request));
  }

  @Post('me/password')
  @ConsoleAuth(...ALL_ROLES)
  @HttpCode(204)
  @AuditAction('console.password.change')
  async changePassword(
    @Body() body: ChangePasswordDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.users.changePassword(
      user.userId,
      user.credential.id,
      body.currentPassword,
      body.newPassword,
      consoleActor(user, request),
    );
  }

  private async describe(user: AuthenticatedConsoleUser): Promise<SessionView> {
    const clients = await Promise.all(
      user.clientIds.map((clientId) => this.views.findClient(clientId)),
    );
    const account = await this.users.get(user.userId);
    return {
      user: {
        id: user.userId,
        email: user.email,
        role: user.role,
        totpEnabled: account.totpEnabled,
        clients: clients.flatMap((client) =>
          client
            ? [{ clientId: client.clientId, name: client.name, environment: client.environment }]
            : [],
        ),
      },
      csrfToken: this.sessions.csrfTokenOf(user.credential.id),
      expiresAt: user.sessionExpiresAt,
      idleTimeoutSeconds: this.environment.CONSOLE_SESSION_IDLE_SECONDS,
    };
  }
}
