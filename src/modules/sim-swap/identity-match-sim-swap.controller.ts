import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { JwtAuth, RequireProduct } from '../../common/auth/auth.decorators.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import {
  IdentityMatch24hAnswerDto,
  IdentityMatchRangeAnswerDto,
  IdentityMatchSimSwapRequestDto,
  IdentityMatchTimestampAnswerDto,
} from './dto/identity-match-sim-swap.dto.js';
import { IdentityMatchCodes } from './sim-swap.errors.js';
import { lookupContextOf, SimSwapService, type IdentityMatchAnswer } from './sim-swap.service.js';

/** Identity Match (CM.com style) takeover protection. */
@ApiTags(Tags.identityMatch)
@JwtAuth()
@RequireProduct('SIM_SWAP')
@Controller('mobile-identity/v1')
export class IdentityMatchSimSwapController {
  constructor(private readonly service: SimSwapService) {}

  @Post('sim-swap')
  @HttpCode(200)
  @AuditAction('identity_match.sim_swap')
  @OwnUnitOfWork()
  @ApiOperation({
    summary: 'Latest SIM change as a timestamp, a 24-hour flag or an age range',
    description:
      'Exactly one of three answers, by `serviceType`; all three derive from the same date (README "SIM swap and device swap"). At most 1 request per second per JWT key. Unknown body fields are refused.',
  })
  @ApiExtraModels(
    IdentityMatchTimestampAnswerDto,
    IdentityMatch24hAnswerDto,
    IdentityMatchRangeAnswerDto,
  )
  @ApiOkResponse({
    description: 'The answer for the requested serviceType.',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(IdentityMatchTimestampAnswerDto) },
        { $ref: getSchemaPath(IdentityMatch24hAnswerDto) },
        { $ref: getSchemaPath(IdentityMatchRangeAnswerDto) },
      ],
    },
  })
  @ApiErrors({ 404: [IdentityMatchCodes.numberNotFound], 503: [IdentityMatchCodes.unavailable] })
  simSwap(
    @Body() body: IdentityMatchSimSwapRequestDto,
    @Ctx() ctx: RequestContext,
  ): Promise<IdentityMatchAnswer> {
    ctx.audit.action = 'identity_match.sim_swap';
    return this.service.identityMatch(
      body.phoneNumber,
      body.serviceType,
      lookupContextOf(ctx, 'identity_match'),
    );
  }
}
