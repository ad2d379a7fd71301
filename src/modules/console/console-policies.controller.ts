import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiExcludeController, ApiTags } from '@nestjs/swagger';
import { ConsoleAuth, CurrentConsoleUser } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import {
  ClientIdParamsDto,
  PolicyDto,
  PolicyParamsDto,
  type PoliciesView,
} from '../intelligence/dto/policy.dto.js';
import { clientNotFound } from '../intelligence/intelligence.errors.js';
import { PoliciesService, type VersionedPolicy } from '../intelligence/policies.service.js';
import { PolicyVersionsQueryDto } from './dto/console.dto.js';

/**
 * The admin pages' view of a client's intelligence policies: the policy in force per service
 * type, its versions, and a new version. Admins only (auditors and client users get 403 from the
 * guard), through PoliciesService as `/admin/v1/clients/{id}/intelligence/policies` is, with the
 * same audit actions and the console user as actor and as the version's author.
 */
// The console's own API, for its pages only: not part of the published gateway API (OpenAPI).
@ApiExcludeController()
@ApiTags('console: admin')
@ConsoleAuth('admin')
@Controller('console/api/admin/clients/:clientId/policies')
export class ConsolePoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly views: CredentialViewsService,
  ) {}

  @Get()
  @AuditAction('intelligence.policy.read')
  async list(
    @Ctx() ctx: RequestContext,
    @Param() params: ClientIdParamsDto,
  ): Promise<PoliciesView> {
    ctx.audit.detail = { clientId: params.clientId };
    await this.requireClient(params.clientId);
    return this.policies.activePolicies(params.clientId);
  }

  @Get(':serviceType/versions')
  @AuditAction('intelligence.policy.read')
  async versions(
    @Ctx() ctx: RequestContext,
    @Param() params: PolicyParamsDto,
    @Query() query: PolicyVersionsQueryDto,
  ): Promise<{ items: VersionedPolicy[] }> {
    ctx.audit.detail = { clientId: params.clientId, serviceType: params.serviceType };
    await this.requireClient(params.clientId);
    return {
      items: await this.policies.versions(params.clientId, params.serviceType, query.limit ?? 50),
    };
  }

  @Put(':serviceType')
  @AuditAction('intelligence.policy.change')
  // The new version and its event: one RequestAudit.transaction in PoliciesService.change.
  @OwnUnitOfWork()
  async change(
    @Ctx() ctx: RequestContext,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Param() params: PolicyParamsDto,
    @Body() body: PolicyDto,
  ): Promise<VersionedPolicy> {
    ctx.audit.detail = { clientId: params.clientId, serviceType: params.serviceType };
    await this.requireClient(params.clientId);
    return this.policies.change(
      ctx,
      params.clientId,
      params.serviceType,
      body,
      `console_user:${user.userId}`,
    );
  }

  private async requireClient(clientId: string): Promise<void> {
    if (!(await this.views.findClient(clientId))) throw clientNotFound();
  }
}
