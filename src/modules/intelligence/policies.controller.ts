import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AdminAuth,
  ApiKeyAuth,
  CurrentAdmin,
  CurrentClient,
} from '../../common/auth/auth.decorators.js';
import type { AuthenticatedAdmin, AuthenticatedClient } from '../../common/auth/caller.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, OwnUnitOfWork, RouteDeadline } from '../../common/http/audit-facts.js';
import { authmatechSuccess as success } from '../../common/http/authmatech-envelope.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiAuthmatechOk, ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import {
  BacktestRequestDto,
  BacktestResultDto,
  ClientIdParamsDto,
  PoliciesDto,
  PolicyDto,
  PolicyParamsDto,
  VersionedPolicyDto,
  type PoliciesView,
} from './dto/policy.dto.js';
import { clientNotFound, IntelligenceCodes } from './intelligence.errors.js';
import { BACKTEST_DEADLINE_MS, PoliciesService } from './policies.service.js';

const BACKTEST =
  'Replays the assessments of the window under the draft, from their stored signals, with the function that answered them: a matrix of current × draft decisions with counts and example transaction ids.';

/** Admins read and change any client's policies, and backtest drafts. */
@ApiTags(Tags.adminIntelligence)
@ApiErrors({ 404: [CommonCodes.notFound] })
@Controller('admin/v1/clients/:clientId/intelligence')
export class PoliciesAdminController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly views: CredentialViewsService,
  ) {}

  @Get('policies')
  @AdminAuth('auditor')
  @AuditAction('intelligence.policy.read')
  @ApiOperation({
    summary: "The client's policy in force for each service type (version 0 = the default)",
  })
  @ApiOkResponse({ type: PoliciesDto })
  async list(
    @Ctx() ctx: RequestContext,
    @Param() params: ClientIdParamsDto,
  ): Promise<PoliciesView> {
    ctx.audit.detail = { clientId: params.clientId };
    await this.requireClient(params.clientId);
    return this.policies.activePolicies(params.clientId);
  }

  @Put('policies/:serviceType')
  @AdminAuth('admin')
  @AuditAction('intelligence.policy.change')
  // The new version and its event: one RequestAudit.transaction in PoliciesService.change.
  @OwnUnitOfWork()
  @ApiOperation({
    summary:
      'Store a new version of the policy of one service type (what the body leaves out keeps its default)',
  })
  @ApiOkResponse({ type: VersionedPolicyDto, description: 'The new version, complete.' })
  @ApiErrors({ 400: [IntelligenceCodes.invalidPolicy] })
  async change(
    @Ctx() ctx: RequestContext,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Param() params: PolicyParamsDto,
    @Body() body: PolicyDto,
  ): Promise<VersionedPolicyDto> {
    ctx.audit.detail = { clientId: params.clientId, serviceType: params.serviceType };
    await this.requireClient(params.clientId);
    return this.policies.change(
      ctx,
      params.clientId,
      params.serviceType,
      body,
      `admin:${admin.credential.id}`,
    );
  }

  @Post('backtest')
  @HttpCode(200)
  @RouteDeadline(BACKTEST_DEADLINE_MS)
  @AdminAuth('admin')
  @AuditAction('intelligence.backtest')
  // Read-only: no request transaction held open for seconds; its event is recorded as it answers.
  @OwnUnitOfWork()
  @ApiOperation({
    summary: 'Backtest a draft policy on a past window of the client’s assessments',
    description: BACKTEST,
  })
  @ApiOkResponse({ type: BacktestResultDto })
  @ApiErrors({ 400: [IntelligenceCodes.invalidPolicy, IntelligenceCodes.invalidRange] })
  async backtest(
    @Ctx() ctx: RequestContext,
    @Param() params: ClientIdParamsDto,
    @Body() body: BacktestRequestDto,
  ): Promise<BacktestResultDto> {
    ctx.audit.detail = { clientId: params.clientId, serviceType: body.serviceType };
    await this.requireClient(params.clientId);
    return this.policies.backtest(params.clientId, body);
  }

  private async requireClient(clientId: string): Promise<void> {
    if (!(await this.views.findClient(clientId))) throw clientNotFound();
  }
}

/** A client reads its own policies and backtests drafts on its own assessments (never another's). */
@ApiTags(Tags.intelligence)
@Controller('v1/api/me/intelligence')
@ApiKeyAuth()
export class PoliciesPortalController {
  constructor(private readonly policies: PoliciesService) {}

  @Get('policies')
  @AuditAction('intelligence.policy.read')
  @ApiOperation({ summary: 'My policy in force for each service type (version 0 = the default)' })
  @ApiAuthmatechOk(PoliciesDto, { description: 'One policy per service type.' })
  async list(
    @CurrentClient() client: AuthenticatedClient,
  ): Promise<AuthmatechEnvelope<PoliciesView>> {
    return success(await this.policies.activePolicies(client.clientId));
  }

  @Post('backtest')
  @HttpCode(200)
  @RouteDeadline(BACKTEST_DEADLINE_MS)
  @AuditAction('intelligence.backtest')
  // Read-only: no request transaction held open for seconds; its event is recorded as it answers.
  @OwnUnitOfWork()
  @ApiOperation({
    summary: 'Backtest a draft policy on a past window of my assessments',
    description: BACKTEST,
  })
  @ApiAuthmatechOk(BacktestResultDto, { description: 'The matrix.' })
  @ApiErrors({ 400: [IntelligenceCodes.invalidPolicy, IntelligenceCodes.invalidRange] })
  async backtest(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: BacktestRequestDto,
  ): Promise<AuthmatechEnvelope<BacktestResultDto>> {
    ctx.audit.serviceType = body.serviceType;
    return success(await this.policies.backtest(client.clientId, body));
  }
}
