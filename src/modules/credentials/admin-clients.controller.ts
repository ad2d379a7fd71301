import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, CurrentAdmin } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedAdmin } from '../../common/auth/caller.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { auditFacts } from '../../common/http/audit-facts.js';
import { PAGE_LIMIT_DEFAULT, PageQueryDto, type Page } from '../../common/http/pagination.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import type { Answering } from './credential-audit.js';
import { Idempotent } from '../../common/http/idempotency.js';
import { ClientManagementService } from './client-management.service.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import { CredentialViewsService } from './credential-views.service.js';
import type { Actor } from './credential-audit.js';
import type {
  CreatedClient,
  ClientView,
  CredentialView,
  IssuedCredential,
  RotationResult,
} from './credential-views.js';
import {
  CreateClientDto,
  IssueCredentialDto,
  RotateCredentialDto,
  UpdateClientDto,
} from './dto/admin.dto.js';
import {
  ClientDto,
  ClientPageDto,
  CreatedClientDto,
  CredentialPageDto,
  IssuedCredentialDto,
  RevokedCredentialDto,
  RotationResultDto,
} from './dto/credential-responses.dto.js';
import { CredentialsCodes } from './credentials.errors.js';

const NOT_FOUND = { 404: [CommonCodes.notFound] };
const CREDENTIAL_CHANGE = { 404: [CommonCodes.notFound], 409: [CredentialsCodes.conflict] };

interface CreatedClientAnswer {
  client: ClientView;
  credentials: { apiKey: string; clientSecret: string; jwtKeyId: string; jwtSecret: string };
}

function createdClientAnswer(created: CreatedClient, client: ClientView): CreatedClientAnswer {
  const { apiKey, clientSecret, jwtKeyId, jwtSecret } = created;
  return { client, credentials: { apiKey, clientSecret, jwtKeyId, jwtSecret } };
}

/** The answer a change stores for its request's `Idempotency-Key` (none without a key). */
export function answeringFor<T>(
  request: FastifyRequest,
  status: number,
  body: (result: T) => unknown,
): Answering<T> | undefined {
  const idempotency = request.context?.idempotency;
  return idempotency && { request: idempotency, status, body };
}

export function adminActor(admin: AuthenticatedAdmin, request: FastifyRequest): Actor {
  return {
    type: 'admin',
    id: admin.credential.id,
    contract: 'admin',
    credential: admin.credential,
    correlationId: request.id,
  };
}

/**
 * Client management for admins (role `admin`; an auditor gets 403). Plain JSON bodies; errors in
 * the CAMARA form like the rest of /admin. Secrets appear only in the answer that issues them.
 */
@ApiTags(Tags.adminClients)
@AdminAuth('admin')
@Controller('admin/v1/clients')
export class AdminClientsController {
  constructor(
    private readonly clients: ClientManagementService,
    private readonly issuance: CredentialIssuanceService,
    private readonly views: CredentialViewsService,
  ) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create a client; answers its id and every secret, once.' })
  @ApiCreatedResponse({
    type: CreatedClientDto,
    description:
      'The client and its secrets (shown only here; a replay answers them again, stored encrypted for 24 h).',
  })
  async create(
    @Body() body: CreateClientDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<CreatedClientAnswer> {
    let answer: CreatedClientAnswer | undefined;
    const created = await this.clients.createClient(
      {
        name: body.name,
        environment: body.environment ?? 'SANDBOX',
        products: body.products,
        rateLimitPerMinute: body.rateLimitPerMinute,
        allowedOrigins: body.allowedOrigins,
      },
      adminActor(admin, request),
      answeringFor(
        request,
        201,
        ({ created: made, client }) => (answer = createdClientAnswer(made, client)),
      ),
    );
    auditFacts(request).detail = { clientId: created.clientId };
    return answer ?? createdClientAnswer(created, await this.views.getClient(created.clientId));
  }

  @Get()
  @ApiOperation({ summary: 'List clients, oldest first.' })
  @ApiOkResponse({ type: ClientPageDto, description: 'A page of clients.' })
  list(@Query() query: PageQueryDto): Promise<Page<ClientView>> {
    return this.views.listClients(query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  @Get(':clientId')
  @ApiOperation({ summary: 'One client.' })
  @ApiOkResponse({ type: ClientDto, description: 'The client.' })
  @ApiErrors(NOT_FOUND)
  get(@Param('clientId') clientId: string): Promise<ClientView> {
    return this.views.getClient(clientId);
  }

  @Patch(':clientId')
  @ApiOperation({
    summary:
      'Change name, products, status (active | suspended), rate limit or allowed browser origins.',
  })
  @ApiOkResponse({ type: ClientDto, description: 'The client after the change.' })
  @ApiErrors(NOT_FOUND)
  update(
    @Param('clientId') clientId: string,
    @Body() body: UpdateClientDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<ClientView> {
    auditFacts(request).detail = { clientId };
    return this.clients.updateClient(clientId, body, adminActor(admin, request));
  }

  @Get(':clientId/credentials')
  @ApiOperation({
    summary: 'Credentials of a client: kinds, fingerprints, dates, status. Never secrets.',
  })
  @ApiOkResponse({ type: CredentialPageDto, description: 'A page of credentials, oldest first.' })
  @ApiErrors(NOT_FOUND)
  listCredentials(
    @Param('clientId') clientId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<CredentialView>> {
    return this.views.listCredentials(clientId, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  @Post(':clientId/credentials')
  @Idempotent()
  @ApiOperation({
    summary:
      'Issue an additional credential (api_key, client_secret or jwt_key); the secret is shown once.',
  })
  @ApiCreatedResponse({
    type: IssuedCredentialDto,
    description: 'The credential and its secret (shown only here).',
  })
  @ApiErrors(NOT_FOUND)
  issue(
    @Param('clientId') clientId: string,
    @Body() body: IssueCredentialDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<IssuedCredential> {
    auditFacts(request).detail = { clientId };
    return this.issuance.issueCredential(
      clientId,
      body.kind,
      adminActor(admin, request),
      answeringFor(request, 201, (issued) => issued),
    );
  }

  @Post(':clientId/credentials/:credentialId/rotate')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    summary:
      'Issue a successor; the replaced credential works until the grace period ends (JWT keys: new kid).',
  })
  @ApiOkResponse({
    type: RotationResultDto,
    description: 'The successor, its secret (shown only here) and the end of the grace period.',
  })
  @ApiErrors(CREDENTIAL_CHANGE)
  rotate(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @Body() body: RotateCredentialDto,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<RotationResult> {
    auditFacts(request).detail = { clientId, credentialId };
    return this.issuance.rotateCredential(
      clientId,
      credentialId,
      adminActor(admin, request),
      body.gracePeriodSeconds,
      answeringFor(request, 200, (rotated) => rotated),
    );
  }

  @Post(':clientId/credentials/:credentialId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke at once; irreversible.' })
  @ApiOkResponse({ type: RevokedCredentialDto, description: 'The revoked credential.' })
  @ApiErrors(CREDENTIAL_CHANGE)
  async revoke(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @CurrentAdmin() admin: AuthenticatedAdmin,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    auditFacts(request).detail = { clientId, credentialId };
    return {
      credential: await this.issuance.revokeCredential(
        clientId,
        credentialId,
        adminActor(admin, request),
      ),
    };
  }
}
