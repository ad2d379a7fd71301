import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthmatechOk } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { SdkTokenDataDto } from './dto/credential-responses.dto.js';
import { ApiKeyAuth, CurrentClient } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { AuditAction } from '../../common/http/audit-facts.js';
import { Authenticator } from './authenticator.service.js';
import { authmatechSuccess } from '../../common/http/authmatech-envelope.js';

@ApiTags(Tags.credentials)
@Controller('v1/api/sdk')
export class SdkTokenController {
  constructor(private readonly authenticator: Authenticator) {}

  @Post('token')
  @HttpCode(200)
  @ApiKeyAuth()
  @AuditAction('sdk.token')
  @ApiOperation({
    summary:
      'Mint a short-lived SDK token (X-SDK-TOKEN) for a device, with the API key. Accepted only by the device-side routes: GET /v1/he/{operatorId} and POST /v1/api/sdk/session.',
  })
  @ApiAuthmatechOk(SdkTokenDataDto, {
    description: 'The SDK token and when it expires (SDK_TOKEN_TTL_SECONDS).',
  })
  mint(@CurrentClient() client: AuthenticatedClient): AuthmatechEnvelope<SdkTokenDataDto> {
    const { token, expiresAt } = this.authenticator.mintSdkToken(client);
    return authmatechSuccess({
      sdkToken: token,
      expiresAt: expiresAt.toISOString(),
      expiresIn: Math.round((expiresAt.getTime() - Date.now()) / 1000),
    });
  }
}
