import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth, CurrentAdmin } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedAdmin } from '../../common/auth/caller.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Idempotent } from '../../common/http/idempotency.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import { BalanceService } from './balance.service.js';
import { ClientParamsDto, TopUpRequestDto } from './dto/balance.dto.js';
import { ClientBalanceDto } from './dto/verification-responses.dto.js';
import { clientNotFound } from './verification.errors.js';

/** Admins read and top up a client's verification credits. */
@ApiTags(Tags.adminBalances)
@ApiErrors({ 404: [CommonCodes.notFound] })
@Controller('admin/v1/clients/:clientId/balance')
export class BalanceAdminController {
  constructor(
    private readonly balances: BalanceService,
    private readonly views: CredentialViewsService,
  ) {}

  @Get()
  // Balances are billing data, not audit trail: auditors read the trail only.
  @AdminAuth('admin')
  @AuditAction('balance.read')
  @ApiOperation({ summary: "A client's verification balance" })
  @ApiOkResponse({ type: ClientBalanceDto, description: 'Credits and expiry.' })
  async read(
    @Param() params: ClientParamsDto,
    @Ctx() ctx: RequestContext,
  ): Promise<ClientBalanceDto> {
    ctx.audit.detail = { clientId: params.clientId };
    await this.requireClient(params.clientId);
    return { clientId: params.clientId, ...(await this.balances.balanceOf(params.clientId)) };
  }

  @Post('top-up')
  @HttpCode(200)
  @AdminAuth('admin')
  @AuditAction('balance.top_up')
  @OwnUnitOfWork()
  @Idempotent()
  @ApiOperation({
    summary: "Add verification credits (audited; also written to the client's balance ledger)",
  })
  @ApiOkResponse({ type: ClientBalanceDto, description: 'The balance after the top-up.' })
  async topUp(
    @Param() params: ClientParamsDto,
    @Body() body: TopUpRequestDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Ctx() ctx: RequestContext,
  ): Promise<ClientBalanceDto> {
    ctx.audit.detail = {
      clientId: params.clientId,
      credits: body.credits,
      expiresAt: body.expiresAt?.toISOString() ?? null,
    };
    await this.requireClient(params.clientId);
    return this.balances.topUp(
      ctx,
      params.clientId,
      body.credits,
      body.expiresAt,
      admin.credential.id,
    );
  }

  private async requireClient(clientId: string): Promise<void> {
    if (!(await this.views.findClient(clientId))) {
      throw clientNotFound();
    }
  }
}
