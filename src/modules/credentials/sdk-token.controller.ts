import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth, CurrentClient } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { AuditAction } from '../../common/http/audit-facts.js';
import { Authenticator } from './authenticator.service.js';
import { authmatechSuccess } from '../../common/http/authmatech-envelope.js';

@ApiTags('authmatech')
@Controller('v1/api/sdk')
export class SdkTokenController {
  constructor(private readonly authenticator: Authenticator) {}

  @Post('token')
  @HttpCode(200)
  @ApiKeyAuth()
  @AuditAction('sdk.token')
  @ApiOperation({ summary: 'Mint a short-lived SDK token (X-SDK-TOKEN) for a device, with the API key. Accepted only by the device-side routes: GET /v1/he/{operatorId} and POST /v1/api/sdk/session.' })
  mint(@CurrentClient() client: AuthenticatedClient): AuthmatechEnvelope<{ sdkToken: string; expiresAt: string; expiresIn: number }> {
    const { token, expiresAt } = this.authenticator.mintSdkToken(client);
    return authmatechSuccess({
      sdkToken: token,
      expiresAt: expiresAt.toISOString(),
      expiresIn: Math.round((expiresAt.getTime() - Date.now()) / 1000),
    });
  }
}
