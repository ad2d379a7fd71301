import { Body, Controller, Delete, HttpCode, Param, Put, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth } from '../../common/auth/auth.decorators.js';
import { ApiError, CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { CAMARA_PHONE_NUMBER } from '../../common/phone/phone-number.js';
import { SandboxNumberDto, SetSandboxNumberRequestDto } from './dto/sandbox-number.dto.js';
import { SimSwapService } from './sim-swap.service.js';

function phoneNumberOf(raw: string, request: FastifyRequest): string {
  if (!CAMARA_PHONE_NUMBER.test(raw)) {
    throw new ApiError(
      400,
      CommonCodes.validation,
      'phoneNumber must be in E.164 format with a leading +',
    );
  }
  auditFacts(request).phoneNumber = raw;
  return raw;
}

function dateOf(value: string | null | undefined, field: string): Date | null {
  if (value === null || value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new ApiError(400, CommonCodes.validation, `${field} is not a valid date`);
  return date;
}

/** Sandbox data for integration tests: set the swap dates a sandbox number answers. */
@ApiTags(Tags.adminSandbox)
@ApiParam({ name: 'phoneNumber', description: 'A number under a sandbox operator\'s prefix, E.164 (URL-encode the +).', example: '+31612345007', schema: { type: 'string', pattern: CAMARA_PHONE_NUMBER.source } })
@ApiErrors({ 404: [CommonCodes.notFound] })
@AdminAuth('admin')
@Controller('admin/v1/sandbox/sim-swap')
export class SandboxAdminController {
  constructor(private readonly service: SimSwapService) {}

  @Put(':phoneNumber')
  @AuditAction('sandbox.sim_swap.set')
  @ApiOperation({
    summary: "Set a sandbox number's latest SIM and device change (replaces its built-in row).",
  })
  @ApiOkResponse({ type: SandboxNumberDto, description: 'The dates the number now answers.' })
  set(
    @Param('phoneNumber') rawNumber: string,
    @Body() body: SetSandboxNumberRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<SandboxNumberDto> {
    const phoneNumber = phoneNumberOf(rawNumber, request);
    auditFacts(request).action = 'sandbox.sim_swap.set';
    return this.service.setSandboxNumber(
      phoneNumber,
      dateOf(body.latestSimChange, 'latestSimChange'),
      dateOf(body.latestDeviceChange, 'latestDeviceChange'),
    );
  }

  @Delete(':phoneNumber')
  @HttpCode(204)
  @AuditAction('sandbox.sim_swap.reset')
  @ApiOperation({ summary: 'Give a sandbox number its built-in answers again.' })
  @ApiNoContentResponse({ description: 'The number answers its built-in dates again.' })
  async reset(
    @Param('phoneNumber') rawNumber: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const phoneNumber = phoneNumberOf(rawNumber, request);
    auditFacts(request).action = 'sandbox.sim_swap.reset';
    await this.service.resetSandboxNumber(phoneNumber);
  }
}
