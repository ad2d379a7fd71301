import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, CurrentAdmin } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedAdmin } from '../../common/auth/caller.js';
import { adminActor } from './admin-clients.controller.js';
import { CredentialsService, type CredentialView } from './credentials.service.js';
import { CreateAdminKeyDto } from './dto/admin.dto.js';

@ApiTags('admin: admin keys')
@AdminAuth('admin')
@Controller('admin/v1/admin-keys')
export class AdminKeysController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an admin or auditor key; the key is shown once.' })
  async create(
    @Body() body: CreateAdminKeyDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ id: string; key: string; role: 'admin' | 'auditor' }> {
    const created = await this.credentials.createAdminKey(body.role, adminActor(admin, request));
    return { ...created, role: body.role };
  }

  @Get()
  async list(): Promise<{ items: CredentialView[] }> {
    return { items: await this.credentials.listAdminKeys() };
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  async revoke(
    @Param('keyId') keyId: string,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    return { credential: await this.credentials.revokeCredential(null, keyId, adminActor(admin, request)) };
  }
}
