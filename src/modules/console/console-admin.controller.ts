import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ConsoleAuth, CurrentConsoleUser } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import { AuditAction, auditFacts, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ClientManagementService } from '../credentials/client-management.service.js';
import { CredentialIssuanceService } from '../credentials/credential-issuance.service.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import type {
  ClientView,
  CreatedClient,
  CredentialView,
  IssuedCredential,
  RotationResult,
} from '../credentials/credential-views.js';
import { PageQueryDto, type Page } from '../../common/http/pagination.js';
import {
  CreateAdminKeyDto,
  CreateClientDto,
  IssueCredentialDto,
  RotateCredentialDto,
  UpdateClientDto,
} from '../credentials/dto/admin.dto.js';
import {
  OperatorParamsDto,
  CreateOperatorDto,
  UpdateOperatorDto,
} from '../operators/dto/operator.dto.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import { SimSwapService } from '../sim-swap/sim-swap.service.js';
import {
  BalanceService,
  type BalanceHistoryEntry,
  type BalanceView,
} from '../verification/balance.service.js';
import { TopUpRequestDto } from '../verification/dto/balance.dto.js';
import { consoleActor } from './console-request.js';
import { SandboxNumberChangeDto, SetSandboxNumberDto } from './dto/console.dto.js';

/**
 * The admin pages' API: clients (create, products and limits, top-up, suspend, credentials),
 * operators, admin keys and sandbox numbers, through the same services as the admin API and
 * with the same audit events, the console user as actor.
 */
// The console's own API, for its pages only: not part of the published gateway API (OpenAPI).
@ApiExcludeController()
@ApiTags('console: admin')
@ConsoleAuth('admin')
@Controller('console/api/admin')
export class ConsoleAdminController {
  constructor(
    private readonly clients: ClientManagementService,
    private readonly issuance: CredentialIssuanceService,
    private readonly views: CredentialViewsService,
    private readonly balances: BalanceService,
    private readonly operators: OperatorsService,
    private readonly simSwap: SimSwapService,
  ) {}

  @Get('clients')
  @AuditAction('console.clients.list')
  listClients(@Query() query: PageQueryDto): Promise<Page<ClientView>> {
    return this.views.listClients(query.limit ?? 500, query.cursor);
  }

  @Post('clients')
  @AuditAction('console.clients.create')
  @ApiOperation({ summary: 'Create a client; its secrets are in this answer only.' })
  async createClient(
    @Body() body: CreateClientDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ client: ClientView; credentials: Omit<CreatedClient, 'clientId'> }> {
    const created = await this.clients.createClient(
      {
        name: body.name,
        environment: body.environment ?? 'SANDBOX',
        products: body.products,
        rateLimitPerMinute: body.rateLimitPerMinute,
      },
      consoleActor(user, request),
    );
    auditFacts(request).detail = { clientId: created.clientId };
    const { clientId, ...secrets } = created;
    return { client: await this.views.getClient(clientId), credentials: secrets };
  }

  @Get('clients/:clientId')
  @AuditAction('console.clients.read')
  async getClient(
    @Param('clientId') clientId: string,
    @Req() request: FastifyRequest,
  ): Promise<{ client: ClientView; balance: BalanceView; balanceHistory: BalanceHistoryEntry[] }> {
    auditFacts(request).detail = { clientId: clientId.slice(0, 64) };
    const client = await this.views.getClient(clientId);
    const [balance, history] = await Promise.all([
      this.balances.balanceOf(clientId),
      this.balances.history(clientId, 20),
    ]);
    return { client, balance, balanceHistory: history.items };
  }

  @Patch('clients/:clientId')
  @AuditAction('console.clients.update')
  @ApiOperation({ summary: 'Change name, products, rate limit, or suspend / reactivate.' })
  updateClient(
    @Param('clientId') clientId: string,
    @Body() body: UpdateClientDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<ClientView> {
    auditFacts(request).detail = { clientId: clientId.slice(0, 64) };
    return this.clients.updateClient(clientId, body, consoleActor(user, request));
  }

  @Post('clients/:clientId/top-up')
  @HttpCode(200)
  @AuditAction('balance.top_up')
  async topUp(
    @Param('clientId') clientId: string,
    @Body() body: TopUpRequestDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
    @Ctx() ctx: RequestContext,
  ): Promise<BalanceView> {
    // The same event facts as POST /admin/v1/clients/{id}/balance/top-up.
    auditFacts(request).detail = {
      clientId: clientId.slice(0, 64),
      credits: body.credits,
      expiresAt: body.expiresAt?.toISOString() ?? null,
    };
    await this.views.getClient(clientId);
    // The credits and the request's audit event commit in one transaction.
    return this.balances.topUp(ctx, clientId, body.credits, body.expiresAt, user.userId);
  }

  @Get('clients/:clientId/credentials')
  @AuditAction('console.clients.credentials.list')
  listCredentials(
    @Param('clientId') clientId: string,
    @Query() query: PageQueryDto,
    @Req() request: FastifyRequest,
  ): Promise<Page<CredentialView>> {
    auditFacts(request).detail = { clientId: clientId.slice(0, 64) };
    return this.views.listCredentials(clientId, query.limit ?? 500, query.cursor);
  }

  @Post('clients/:clientId/credentials')
  @AuditAction('console.clients.credentials.issue')
  issueCredential(
    @Param('clientId') clientId: string,
    @Body() body: IssueCredentialDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<IssuedCredential> {
    auditFacts(request).detail = { clientId: clientId.slice(0, 64) };
    return this.issuance.issueCredential(clientId, body.kind, consoleActor(user, request));
  }

  @Post('clients/:clientId/credentials/:credentialId/rotate')
  @HttpCode(200)
  @AuditAction('console.clients.credentials.rotate')
  rotateCredential(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @Body() body: RotateCredentialDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<RotationResult> {
    auditFacts(request).detail = {
      clientId: clientId.slice(0, 64),
      credentialId: credentialId.slice(0, 40),
    };
    return this.issuance.rotateCredential(
      clientId,
      credentialId,
      consoleActor(user, request),
      body.gracePeriodSeconds,
    );
  }

  @Post('clients/:clientId/credentials/:credentialId/revoke')
  @HttpCode(200)
  @AuditAction('console.clients.credentials.revoke')
  async revokeCredential(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    auditFacts(request).detail = {
      clientId: clientId.slice(0, 64),
      credentialId: credentialId.slice(0, 40),
    };
    return {
      credential: await this.issuance.revokeCredential(
        clientId,
        credentialId,
        consoleActor(user, request),
      ),
    };
  }

  @Get('admin-keys')
  @AuditAction('console.admin_keys.list')
  listAdminKeys(@Query() query: PageQueryDto): Promise<Page<CredentialView>> {
    return this.views.listAdminKeys(query.limit ?? 500, query.cursor);
  }

  @Post('admin-keys')
  @AuditAction('console.admin_keys.create')
  @ApiOperation({
    summary: 'Create an admin API key (role admin or auditor); the key is in this answer only.',
  })
  async createAdminKey(
    @Body() body: CreateAdminKeyDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ id: string; key: string; role: 'admin' | 'auditor' }> {
    return {
      ...(await this.issuance.createAdminKey(body.role, consoleActor(user, request))),
      role: body.role,
    };
  }

  @Post('admin-keys/:keyId/revoke')
  @HttpCode(200)
  @AuditAction('console.admin_keys.revoke')
  async revokeAdminKey(
    @Param('keyId') keyId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    return {
      credential: await this.issuance.revokeCredential(null, keyId, consoleActor(user, request)),
    };
  }

  @Get('operators')
  @AuditAction('operator.list')
  async listOperators(): Promise<{ operators: OperatorView[] }> {
    return { operators: await this.operators.list() };
  }

  @Post('operators')
  @AuditAction('operator.create')
  createOperator(
    @Body() body: CreateOperatorDto,
    @Req() request: FastifyRequest,
  ): Promise<OperatorView> {
    auditFacts(request).operatorId = body.id;
    auditFacts(request).detail = {
      operatorId: body.id,
      adapterKind: body.adapterKind ?? 'sandbox',
    };
    return this.operators.register(body);
  }

  @Patch('operators/:id')
  @AuditAction('operator.update')
  updateOperator(
    @Param() params: OperatorParamsDto,
    @Body() body: UpdateOperatorDto,
    @Req() request: FastifyRequest,
  ): Promise<OperatorView> {
    auditFacts(request).operatorId = params.id;
    auditFacts(request).detail = { fields: Object.keys(body) };
    return this.operators.change(params.id, body);
  }

  @Put('sandbox/sim-swap')
  @AuditAction('sandbox.sim_swap.set')
  @OwnUnitOfWork()
  @ApiOperation({
    summary:
      'Set the swap dates a sandbox number answers (the number travels in the body, not the URL).',
  })
  setSandboxNumber(
    @Body() body: SetSandboxNumberDto,
    @Ctx() ctx: RequestContext,
  ): Promise<unknown> {
    ctx.audit.phoneNumber = body.phoneNumber;
    return this.simSwap.setSandboxNumber(
      ctx,
      body.phoneNumber,
      body.latestSimChange ? new Date(body.latestSimChange) : null,
      body.latestDeviceChange ? new Date(body.latestDeviceChange) : null,
    );
  }

  @Delete('sandbox/sim-swap')
  @HttpCode(204)
  @AuditAction('sandbox.sim_swap.reset')
  @OwnUnitOfWork()
  async resetSandboxNumber(
    @Body() body: SandboxNumberChangeDto,
    @Ctx() ctx: RequestContext,
  ): Promise<void> {
    ctx.audit.phoneNumber = body.phoneNumber;
    await this.simSwap.resetSandboxNumber(ctx, body.phoneNumber);
  }
}
