import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, CurrentAdmin } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedAdmin } from '../../common/auth/caller.js';
import { auditFacts } from '../../common/http/audit-facts.js';
import {
  CredentialsService,
  type Actor,
  type ClientView,
  type CredentialView,
  type IssuedCredential,
  type RotationResult,
} from './credentials.service.js';
import { CreateClientDto, IssueCredentialDto, ListQueryDto, RotateCredentialDto, UpdateClientDto } from './dto/admin.dto.js';

export function adminActor(admin: AuthenticatedAdmin, request: FastifyRequest): Actor {
  return { type: 'admin', id: admin.credential.id, contract: 'admin', credential: admin.credential, correlationId: request.id };
}

/**
 * Client management for admins (role `admin`; an auditor gets 403). Plain JSON bodies; errors in
 * the CAMARA form like the rest of /admin. Secrets appear only in the answer that issues them.
 */
@ApiTags('admin: clients')
@AdminAuth('admin')
@Controller('admin/v1/clients')
export class AdminClientsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a client; answers its id and every secret, once.' })
  async create(
    @Body() body: CreateClientDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ client: ClientView; credentials: { apiKey: string; clientSecret: string; jwtKeyId: string; jwtSecret: string } }> {
    const created = await this.credentials.createClient(
      { name: body.name, environment: body.environment ?? 'SANDBOX', products: body.products, rateLimitPerMinute: body.rateLimitPerMinute, allowedOrigins: body.allowedOrigins },
      adminActor(admin, request),
    );
    auditFacts(request).detail = { clientId: created.clientId };
    const { clientId, ...secrets } = created;
    return { client: await this.credentials.getClient(clientId), credentials: secrets };
  }

  @Get()
  @ApiOperation({ summary: 'List clients, oldest first.' })
  async list(@Query() query: ListQueryDto): Promise<{ items: ClientView[]; limit: number; offset: number }> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    return { items: await this.credentials.listClients(limit, offset), limit, offset };
  }

  @Get(':clientId')
  get(@Param('clientId') clientId: string): Promise<ClientView> {
    return this.credentials.getClient(clientId);
  }

  @Patch(':clientId')
  @ApiOperation({ summary: 'Change name, products, status (active | suspended), rate limit or allowed browser origins.' })
  update(
    @Param('clientId') clientId: string,
    @Body() body: UpdateClientDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<ClientView> {
    auditFacts(request).detail = { clientId };
    return this.credentials.updateClient(clientId, body, adminActor(admin, request));
  }

  @Get(':clientId/credentials')
  @ApiOperation({ summary: 'Credentials of a client: kinds, fingerprints, dates, status. Never secrets.' })
  async listCredentials(@Param('clientId') clientId: string): Promise<{ items: CredentialView[] }> {
    return { items: await this.credentials.listCredentials(clientId) };
  }

  @Post(':clientId/credentials')
  @ApiOperation({ summary: 'Issue an additional credential (api_key, client_secret or jwt_key); the secret is shown once.' })
  issue(
    @Param('clientId') clientId: string,
    @Body() body: IssueCredentialDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<IssuedCredential> {
    auditFacts(request).detail = { clientId };
    return this.credentials.issueCredential(clientId, body.kind, adminActor(admin, request));
  }

  @Post(':clientId/credentials/:credentialId/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a successor; the replaced credential works until the grace period ends (JWT keys: new kid).' })
  rotate(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @Body() body: RotateCredentialDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<RotationResult> {
    auditFacts(request).detail = { clientId, credentialId };
    return this.credentials.rotateCredential(clientId, credentialId, adminActor(admin, request), body.gracePeriodSeconds);
  }

  @Post(':clientId/credentials/:credentialId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke at once; irreversible.' })
  async revoke(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    auditFacts(request).detail = { clientId, credentialId };
    return { credential: await this.credentials.revokeCredential(clientId, credentialId, adminActor(admin, request)) };
  }
}
