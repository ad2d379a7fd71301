import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthmatechOk } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { RotatedKeyDataDto } from './dto/credential-responses.dto.js';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuth, CurrentClient } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { AuditAction } from '../../common/http/audit-facts.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import type { RotationResult } from './credential-views.js';
import { authmatechSuccess } from '../../common/http/authmatech-envelope.js';
import { RotateApiKeyDto } from './dto/self-service.dto.js';
import { answeringFor } from './admin-clients.controller.js';
import { Idempotent } from '../../common/http/idempotency.js';

/** A client rotates its own API key: a current API key plus the client secret in the body. */
@ApiTags(Tags.credentials)
@Controller('v1/api')
export class SelfServiceController {
  constructor(private readonly issuance: CredentialIssuanceService) {}

  @Post('me/api-key/rotate')
  @HttpCode(200)
  @ApiKeyAuth()
  @AuditAction('credential.rotate')
  @Idempotent()
  @ApiOperation({
    summary: 'Issue a new API key; the old one keeps working for the grace period.',
    description: 'A wrong secretKey is the uniform 401.',
  })
  @ApiAuthmatechOk(RotatedKeyDataDto, { description: 'The new key (shown only here).' })
  rotateMine(
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: RotateApiKeyDto,
    @Req() request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<RotatedKeyDataDto>> {
    return this.rotate(client, body, request);
  }

  @Post('clients/rotate-key')
  @HttpCode(200)
  @ApiKeyAuth()
  @AuditAction('credential.rotate')
  @Idempotent()
  @ApiOperation({
    summary: 'Authmatech-compatible key rotation: body {"secretKey"}, answer data.newApiKey.',
    description: 'A wrong secretKey is the uniform 401.',
  })
  @ApiAuthmatechOk(RotatedKeyDataDto, { description: 'The new key (shown only here).' })
  rotateKey(
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: RotateApiKeyDto,
    @Req() request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<RotatedKeyDataDto>> {
    return this.rotate(client, body, request);
  }

  private async rotate(
    client: AuthenticatedClient,
    body: RotateApiKeyDto,
    request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<RotatedKeyDataDto>> {
    const answer = (result: RotationResult): AuthmatechEnvelope<RotatedKeyDataDto> =>
      authmatechSuccess({
        newApiKey: result.secret,
        fingerprint: result.credential.fingerprint,
        previousKeyValidUntil: result.previousValidUntil,
      });
    const result: RotationResult = await this.issuance.rotateApiKeyWithSecret(
      client.clientId,
      body.secretKey,
      {
        type: 'client',
        id: client.clientId,
        contract: 'authmatech',
        credential: client.credential,
        correlationId: request.id,
      },
      answeringFor(request, 200, answer),
    );
    return answer(result);
  }
}
