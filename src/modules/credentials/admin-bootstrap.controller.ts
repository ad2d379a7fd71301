import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction } from '../../common/http/audit-facts.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import { BootstrapAdminDto } from './dto/admin.dto.js';
import { CreatedAdminKeyDto } from './dto/credential-responses.dto.js';
import { CredentialsCodes } from './credentials.errors.js';

/**
 * The first admin key of a production gateway, for the holder of ADMIN_BOOTSTRAP_SECRET: usable
 * while no admin key was ever issued, so once. Public (there is no admin yet); every attempt is
 * audited like any other admin request.
 */
@ApiTags(Tags.adminKeys)
@Controller('admin/v1/bootstrap')
export class AdminBootstrapController {
  constructor(private readonly issuance: CredentialIssuanceService) {}

  @Post()
  @Public()
  @AuditAction('admin_key.bootstrap')
  @ApiOperation({
    summary:
      'Exchange ADMIN_BOOTSTRAP_SECRET for the first admin key (once; refused after an admin key exists).',
  })
  @ApiCreatedResponse({
    type: CreatedAdminKeyDto,
    description: 'The first admin key (shown only here).',
  })
  @ApiErrors({
    401: [CommonCodes.unauthenticated],
    403: [CredentialsCodes.bootstrapDisabled],
    409: [CredentialsCodes.adminExists],
  })
  async bootstrap(
    @Body() body: BootstrapAdminDto,
    @Req() request: FastifyRequest,
  ): Promise<{ id: string; key: string; role: 'admin' }> {
    const created = await this.issuance.bootstrapAdminKey(body.secret, request.id);
    return { ...created, role: 'admin' };
  }
}
