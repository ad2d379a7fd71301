import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { JwtAuth, RequireProduct } from '../../common/auth/auth.decorators.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { IdentityMatchSimSwapRequestDto } from './dto/identity-match-sim-swap.dto.js';
import { clientEnvironmentOf, SimSwapService, type IdentityMatchAnswer } from './sim-swap.service.js';

/** Identity Match (CM.com style) takeover protection. */
@ApiTags('Identity Match SIM swap')
@JwtAuth()
@RequireProduct('SIM_SWAP')
@Controller('mobile-identity/v1')
export class IdentityMatchSimSwapController {
  constructor(private readonly service: SimSwapService) {}

  @Post('sim-swap')
  @HttpCode(200)
  @AuditAction('identity_match.sim_swap')
  @ApiOperation({
    summary:
      'Latest SIM change as a timestamp, a 24-hour flag, or an age range (README "SIM swap and device swap").',
  })
  simSwap(
    @Body() body: IdentityMatchSimSwapRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<IdentityMatchAnswer> {
    const facts = auditFacts(request);
    facts.action = 'identity_match.sim_swap';
    return this.service.identityMatch(body.phoneNumber, body.serviceType, {
      contract: 'identity_match',
      facts,
      correlationId: request.id,
      clientEnvironment: clientEnvironmentOf(request),
    });
  }
}
