import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, CurrentAdmin } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedAdmin } from '../../common/auth/caller.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { PAGE_LIMIT_DEFAULT, PageQueryDto, type Page } from '../../common/http/pagination.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { adminActor, answeringFor } from './admin-clients.controller.js';
import { Idempotent } from '../../common/http/idempotency.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import { CredentialViewsService } from './credential-views.service.js';
import type { CredentialView } from './credential-views.js';
import { CreateAdminKeyDto } from './dto/admin.dto.js';
import {
  CreatedAdminKeyDto,
  CredentialPageDto,
  RevokedCredentialDto,
} from './dto/credential-responses.dto.js';
import { CredentialsCodes } from './credentials.errors.js';

@ApiTags(Tags.adminKeys)
@AdminAuth('admin')
@Controller('admin/v1/admin-keys')
export class AdminKeysController {
  constructor(
    private readonly issuance: CredentialIssuanceService,
    private readonly views: CredentialViewsService,
  ) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create an admin or auditor key; the key is shown once.' })
  @ApiCreatedResponse({ type: CreatedAdminKeyDto, description: 'The key (shown only here).' })
  async create(
    @Body() body: CreateAdminKeyDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ id: string; key: string; role: 'admin' | 'auditor' }> {
    const created = await this.issuance.createAdminKey(
      body.role,
      adminActor(admin, request),
      answeringFor(request, 201, (made) => ({ ...made, role: body.role })),
    );
    return { ...created, role: body.role };
  }

  @Get()
  @ApiOperation({ summary: 'Admin and auditor keys, oldest first. Never the keys themselves.' })
  @ApiOkResponse({ type: CredentialPageDto, description: 'A page of admin keys.' })
  list(@Query() query: PageQueryDto): Promise<Page<CredentialView>> {
    return this.views.listAdminKeys(query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an admin key at once; irreversible.' })
  @ApiOkResponse({ type: RevokedCredentialDto, description: 'The revoked key.' })
  @ApiErrors({ 404: [CommonCodes.notFound], 409: [CredentialsCodes.conflict] })
  async revoke(
    @Param('keyId') keyId: string,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    return {
      credential: await this.issuance.revokeCredential(null, keyId, adminActor(admin, request)),
    };
  }
}
