import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  AdminAuth,
  ApiKeyAuth,
  CurrentAdmin,
  CurrentClient,
  JwtAuth,
  RequireProduct,
  SdkTokenAuth,
} from '../../src/common/auth/auth.decorators.js';
import type { AuthenticatedAdmin, AuthenticatedClient } from '../../src/common/auth/caller.js';

/** Routes that exist only in the credentials tests, one per auth rule and contract. */
// Documented like any route, so the contract check of every response covers them too.
const AnswersCaller = (): MethodDecorator =>
  ApiOkResponse({
    description: 'The caller as the guard authenticated it.',
    schema: { type: 'object', additionalProperties: true },
  });

@ApiTags('Test probes')
@Controller()
class ProbeController {
  @Get('v1/api/probe')
  @AnswersCaller()
  @ApiKeyAuth()
  apiKey(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Get('v1/api/probe/verify')
  @AnswersCaller()
  @ApiKeyAuth()
  @RequireProduct('VERIFY')
  verify(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Post('v1/api/probe/session')
  @AnswersCaller()
  @HttpCode(200)
  @SdkTokenAuth()
  session(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Get('v1/api/probe/closed')
  @AnswersCaller()
  closed(): { open: true } {
    return { open: true };
  }

  @Get('mobile-identity/probe')
  @AnswersCaller()
  @JwtAuth()
  @RequireProduct('SIM_SWAP')
  identityMatch(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Post('sim-swap/v2/probe')
  @AnswersCaller()
  @HttpCode(200)
  @JwtAuth()
  @RequireProduct('SIM_SWAP')
  camara(@CurrentClient() client: AuthenticatedClient): AuthenticatedClient {
    return client;
  }

  @Get('admin/v1/probe/audit')
  @AnswersCaller()
  @AdminAuth('auditor')
  auditor(@CurrentAdmin() admin: AuthenticatedAdmin): AuthenticatedAdmin {
    return admin;
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
