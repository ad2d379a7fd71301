import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { AdminAuth, ApiKeyAuth, CurrentAdmin, CurrentClient, JwtAuth, RequireProduct, SdkTokenAuth } from '../../src/common/auth/auth.decorators.js';
import type { AuthenticatedAdmin, AuthenticatedClient } from '../../src/common/auth/caller.js';

/** Routes that exist only in the credentials tests, one per auth rule and contract. */
@Controller()
class ProbeController {
  @Get('v1/api/probe')
  @ApiKeyAuth()
  apiKey(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Get('v1/api/probe/verify')
  @ApiKeyAuth()
  @RequireProduct('VERIFY')
  verify(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Post('v1/api/probe/session')
  @HttpCode(200)
  @SdkTokenAuth()
  session(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Get('v1/api/probe/closed')
  closed(): { open: true } {
    return { open: true };
  }

  @Get('mobile-identity/probe')
  @JwtAuth()
  @RequireProduct('SIM_SWAP')
  identityMatch(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Post('sim-swap/v2/probe')
  @HttpCode(200)
  @JwtAuth()
  @RequireProduct('SIM_SWAP')
  camara(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Get('admin/v1/probe/audit')
  @AdminAuth('auditor')
  auditor(@CurrentAdmin() admin: AuthenticatedAdmin): AuthenticatedAdmin {
    return admin;
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
