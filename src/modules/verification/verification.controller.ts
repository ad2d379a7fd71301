import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthmatechOk, ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import {
  EnrichmentDataDto,
  SdkSessionDataDto,
  VerifyDataDto,
} from './dto/verification-responses.dto.js';
import { NegativeVerdicts, VerificationCodes } from './verification.errors.js';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ApiKeyAuth,
  CurrentClient,
  RequireProduct,
  SdkTokenAuth,
} from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import {
  authmatechSuccess as success,
  authmatechWarning as warning,
} from '../../common/http/authmatech-envelope.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { BrowserFacing } from '../credentials/browser-origin.guard.js';
import { SdkSessionDto } from './dto/sdk-session.dto.js';
import {
  EnrichmentQueryDto,
  OperatorParamsDto,
  TransactionParamsDto,
  VerifyQueryDto,
  VerifyRequestDto,
  VerifyTransactionRequestDto,
} from './dto/verify.dto.js';
import { EnrichmentService, NO_RESULT_MESSAGE, type EnrichmentData } from './enrichment.service.js';
import { verifyEnvelope, VerificationService, type VerifyData } from './verification.service.js';
import { Idempotent } from '../../common/http/idempotency.js';

/** The Authmatech silent-verification contract: enrichment (device), session report (device), verify (backend). */
/** The WARNING codes of a negative verdict (a 200 with `validNumber: false`). */
const VERDICT_WARNINGS = [...Object.keys(NegativeVerdicts), VerificationCodes.noEnrichmentResult];
const VERIFY_ERRORS = {
  400: [
    VerificationCodes.invalidMobileNumber,
    VerificationCodes.invalidProof,
    VerificationCodes.unknownOperator,
    VerificationCodes.productNotEnabled,
    VerificationCodes.insufficientBalance,
  ],
  503: [VerificationCodes.operatorUnavailable],
};

@ApiTags(Tags.verification)
@Controller()
export class VerificationController {
  constructor(
    private readonly enrichment: EnrichmentService,
    private readonly verification: VerificationService,
  ) {}

  @Get('v1/he/:operatorId')
  @SdkTokenAuth()
  @BrowserFacing()
  @AuditAction('enrichment')
  @ApiOperation({
    summary:
      'Header enrichment: issues the proof (authmatechCode) for the number the operator identified',
  })
  @ApiHeader({
    name: 'X-Sandbox-Msisdn',
    required: false,
    description: 'SANDBOX clients only: the number the network would inject.',
  })
  @ApiAuthmatechOk(EnrichmentDataDto, {
    description:
      'The proof for the identified number, or no proof with a WARNING when nobody was identified (Wi-Fi, untrusted source, another operator).',
    warnings: [VerificationCodes.noEnrichmentResult],
  })
  @ApiErrors({
    400: [
      VerificationCodes.unknownOperator,
      VerificationCodes.sandboxHeaderRefused,
      VerificationCodes.invalidMobileNumber,
    ],
    409: [VerificationCodes.transactionExists],
    503: [VerificationCodes.operatorUnavailable],
  })
  async enrich(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Param() params: OperatorParamsDto,
    @Query() query: EnrichmentQueryDto,
    @Headers() headers: IncomingHttpHeaders,
  ): Promise<AuthmatechEnvelope<EnrichmentData>> {
    const { identified, data } = await this.enrichment.enrich(
      ctx,
      client,
      params.operatorId,
      headers,
      query.transactionId,
    );
    return identified
      ? success(data)
      : warning(VerificationCodes.noEnrichmentResult, NO_RESULT_MESSAGE, data);
  }

  @Post('v1/api/sdk/session')
  @HttpCode(200)
  @SdkTokenAuth()
  @BrowserFacing()
  @AuditAction('sdk.session')
  @OwnUnitOfWork()
  @ApiOperation({
    summary:
      'The SDK reports its session (device context); the client IP comes from the connection',
  })
  @ApiAuthmatechOk(SdkSessionDataDto, { description: 'The session was stored.' })
  async recordSession(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: SdkSessionDto,
  ): Promise<AuthmatechEnvelope<SdkSessionDataDto>> {
    return success(await this.enrichment.recordSdkSession(ctx, client, body));
  }

  @Post('v1/api/verify')
  @HttpCode(200)
  @ApiKeyAuth()
  @RequireProduct('VERIFY')
  @AuditAction('verify')
  @OwnUnitOfWork()
  @Idempotent()
  @ApiOperation({
    summary: 'Verify: does the proof from enrichment prove this number for this client?',
    description:
      'A negative verdict is a 200 with `validNumber: false` and a WARNING saying why. LIVE clients pay one credit per verdict.',
  })
  @ApiAuthmatechOk(VerifyDataDto, { description: 'The verdict.', warnings: VERDICT_WARNINGS })
  @ApiErrors(VERIFY_ERRORS)
  async verify(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Body() body: VerifyRequestDto,
    @Query() query: VerifyQueryDto,
  ): Promise<AuthmatechEnvelope<VerifyData>> {
    linkSession(ctx, body.sdkSessionId);
    return verifyEnvelope(
      await this.verification.verify(ctx, client, body, query.maskMobile === 'true'),
    );
  }

  @Post('v1/api/verify/:transactionId')
  @HttpCode(200)
  @ApiKeyAuth()
  @RequireProduct('VERIFY')
  @AuditAction('verify')
  @OwnUnitOfWork()
  @Idempotent()
  @ApiOperation({
    summary: 'Verify (web): the proof of the enrichment session transactionId, kept on the gateway',
  })
  @ApiAuthmatechOk(VerifyDataDto, { description: 'The verdict.', warnings: VERDICT_WARNINGS })
  @ApiErrors({ ...VERIFY_ERRORS, 404: [VerificationCodes.transactionNotFound] })
  async verifyTransaction(
    @Ctx() ctx: RequestContext,
    @CurrentClient() client: AuthenticatedClient,
    @Param() params: TransactionParamsDto,
    @Body() body: VerifyTransactionRequestDto,
    @Query() query: VerifyQueryDto,
  ): Promise<AuthmatechEnvelope<VerifyData>> {
    linkSession(ctx, params.transactionId);
    return verifyEnvelope(
      await this.verification.verifyTransaction(
        ctx,
        client,
        params.transactionId,
        body,
        query.maskMobile === 'true',
      ),
    );
  }
}

/** The verify's audit event names the SDK session, so a session's steps can be found together. */
function linkSession(ctx: RequestContext, sdkSessionId: string | undefined): void {
  if (sdkSessionId === undefined) return;
  ctx.audit.detail = { ...ctx.audit.detail, sdkSessionId };
}
