import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ConsoleAuth, CurrentConsoleUser } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import {
  ConsoleUsersService,
  type ConsoleUserView,
  type Invitation,
} from './console-users.service.js';
import { consoleActor } from './console-request.js';
import { InviteUserDto } from './dto/console.dto.js';

/** Admins manage console accounts: invite (a client user bound to their client), disable, unlock, reset. */
// The console's own API, for its pages only: not part of the published gateway API (OpenAPI).
@ApiExcludeController()
@ApiTags('console: admin')
@ConsoleAuth('admin')
@Controller('console/api/admin/users')
export class ConsoleUsersController {
  constructor(private readonly users: ConsoleUsersService) {}

  @Get()
  @AuditAction('console.users.list')
  async list(): Promise<{ items: ConsoleUserView[] }> {
    return { items: await this.users.list() };
  }

  @Post()
  @AuditAction('console.users.invite')
  @ApiOperation({
    summary: 'Invite a person; the one-time invitation link is in this answer only.',
  })
  async invite(
    @Body() body: InviteUserDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<Invitation> {
    const invitation = await this.users.invite(body, consoleActor(user, request));
    auditFacts(request).detail = { userId: invitation.user.id, role: body.role };
    return invitation;
  }

  @Post(':userId/disable')
  @HttpCode(200)
  @AuditAction('console.users.disable')
  disable(
    @Param('userId', ParseUUIDPipe) userId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<ConsoleUserView> {
    auditFacts(request).detail = { userId };
    return this.users.setStatus(userId, 'disabled', consoleActor(user, request));
  }

  @Post(':userId/enable')
  @HttpCode(200)
  @AuditAction('console.users.enable')
  enable(
    @Param('userId', ParseUUIDPipe) userId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<ConsoleUserView> {
    auditFacts(request).detail = { userId };
    return this.users.setStatus(userId, 'active', consoleActor(user, request));
  }

  @Post(':userId/unlock')
  @HttpCode(200)
  @AuditAction('console.users.unlock')
  unlock(
    @Param('userId', ParseUUIDPipe) userId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<ConsoleUserView> {
    auditFacts(request).detail = { userId };
    return this.users.unlock(userId, consoleActor(user, request));
  }

  @Post(':userId/reinvite')
  @HttpCode(200)
  @AuditAction('console.users.reinvite')
  @ApiOperation({
    summary: 'Reset an account: a new invitation; the password, second factor and sessions end.',
  })
  reinvite(
    @Param('userId', ParseUUIDPipe) userId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<Invitation> {
    auditFacts(request).detail = { userId };
    return this.users.reinvite(userId, consoleActor(user, request));
  }
}
