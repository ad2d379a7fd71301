import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth, CurrentClient, RequireProduct } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { authmatechSuccess as success } from '../../common/http/authmatech-envelope.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { Idempotent } from '../../common/http/idempotency.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiAuthmatechOk, ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { AssessmentRequestDto } from './dto/assessment-request.dto.js';
import {
  DetectAnalysisDataDto,
  ShieldAssessmentDataDto,
  TrustScoreDataDto,
} from './dto/assessment-responses.dto.js';
import { IntelligenceCodes } from './intelligence.errors.js';
import { IntelligenceService } from './intelligence.service.js';

const ASSESSMENT_ERRORS = {
  400: ['INVALID_MOBILE_NUMBER', 'PRODUCT_NOT_ENABLED', IntelligenceCodes.insufficientBalance],
};
const COST =
  'LIVE clients pay one credit per answer (in the same unit of work as its audit event); SANDBOX calls are free.';

/**
 * Authmatech intelligence: Trust score, Shield assessment and Detect, one request shape for all
 * three. Each commits its own unit (assessment, credit, event: RequestAudit.commit), group-committed.
 */
@ApiTags(Tags.intelligence)
@Controller('v1/api')
@ApiKeyAuth()
export class IntelligenceController {
  constructor(private readonly intelligence: IntelligenceService) {}

  @Post('trust/score')
  @HttpCode(200)
  @RequireProduct('TRUST')
  @AuditAction('trust.score')
  @OwnUnitOfWork()
  @Idempotent()
  @ApiOperation({
    summary: 'Trust score 0–100 (higher = more trustworthy) with a recommendation and its factors',
    description: COST,
  })
  @ApiAuthmatechOk(TrustScoreDataDto, {
    description: 'The score; a BLOCK recommendation is a 200 like any other.',
  })
  @ApiErrors(ASSESSMENT_ERRORS)
  async trust(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: AssessmentRequestDto,
  ): Promise<AuthmatechEnvelope<TrustScoreDataDto>> {
    return success(await this.intelligence.trust(ctx, client, body));
  }

  @Post('shield/assess')
  @HttpCode(200)
  @RequireProduct('SHIELD')
  @AuditAction('shield.assess')
  @OwnUnitOfWork()
  @Idempotent()
  @ApiOperation({
    summary: 'Shield: ALLOW, CHALLENGE, REVIEW or BLOCK, with the risk score and reason codes',
    description: COST,
  })
  @ApiAuthmatechOk(ShieldAssessmentDataDto, {
    description: 'The decision; BLOCK is a 200, never an error.',
  })
  @ApiErrors(ASSESSMENT_ERRORS)
  async shield(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: AssessmentRequestDto,
  ): Promise<AuthmatechEnvelope<ShieldAssessmentDataDto>> {
    return success(await this.intelligence.shield(ctx, client, body));
  }

  @Post('detect/analyze')
  @HttpCode(200)
  @RequireProduct('DETECT')
  @AuditAction('detect.analyze')
  @OwnUnitOfWork()
  @Idempotent()
  @ApiOperation({
    summary:
      'Detect: anomalies (multi-account, velocity, repeated failures, geography shifts) and a recommended action',
    description: COST,
  })
  @ApiAuthmatechOk(DetectAnalysisDataDto, {
    description: 'The anomalies and the recommended action.',
  })
  @ApiErrors(ASSESSMENT_ERRORS)
  async detect(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: AssessmentRequestDto,
  ): Promise<AuthmatechEnvelope<DetectAnalysisDataDto>> {
    return success(await this.intelligence.detect(ctx, client, body));
  }
}
