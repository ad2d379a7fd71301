import { Body, Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AdminAuth } from '../../common/auth/auth.decorators.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { CAMARA_PHONE_NUMBER } from '../../common/phone/phone-number.js';
import { SandboxNumberDto, SetSandboxNumberRequestDto } from './dto/sandbox-number.dto.js';
import { invalidSandboxDateError, invalidSandboxPhoneNumberError } from './sim-swap.errors.js';
import { SimSwapService } from './sim-swap.service.js';

function phoneNumberOf(raw: string, ctx: RequestContext): string {
  if (!CAMARA_PHONE_NUMBER.test(raw)) {
    throw invalidSandboxPhoneNumberError();
  }
  ctx.audit.phoneNumber = raw;
  return raw;
}

function dateOf(value: string | null | undefined, field: string): Date | null {
  if (value === null || value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidSandboxDateError(field);
  return date;
}

/** Sandbox data for integration tests: set the swap dates a sandbox number answers. */
@ApiTags(Tags.adminSandbox)
@ApiParam({
  name: 'phoneNumber',
  description: "A number under a sandbox operator's prefix, E.164 (URL-encode the +).",
  example: '+31612345007',
  schema: { type: 'string', pattern: CAMARA_PHONE_NUMBER.source },
})
@ApiErrors({ 404: [CommonCodes.notFound] })
@AdminAuth('admin')
@Controller('admin/v1/sandbox/sim-swap')
export class SandboxAdminController {
  constructor(private readonly service: SimSwapService) {}

  @Put(':phoneNumber')
  @AuditAction('sandbox.sim_swap.set')
  // The override, its swap notifications (push outbox) and the audit event: one statement.
  @OwnUnitOfWork()
  @ApiOperation({
    summary: "Set a sandbox number's latest SIM and device change (replaces its built-in row).",
  })
  @ApiOkResponse({ type: SandboxNumberDto, description: 'The dates the number now answers.' })
  set(
    @Param('phoneNumber') rawNumber: string,
    @Body() body: SetSandboxNumberRequestDto,
    @Ctx() ctx: RequestContext,
  ): Promise<SandboxNumberDto> {
    const phoneNumber = phoneNumberOf(rawNumber, ctx);
    return this.service.setSandboxNumber(
      ctx,
      phoneNumber,
      dateOf(body.latestSimChange, 'latestSimChange'),
      dateOf(body.latestDeviceChange, 'latestDeviceChange'),
    );
  }

  @Delete(':phoneNumber')
  @HttpCode(204)
  @AuditAction('sandbox.sim_swap.reset')
  @OwnUnitOfWork()
  @ApiOperation({ summary: 'Give a sandbox number its built-in answers again.' })
  @ApiNoContentResponse({ description: 'The number answers its built-in dates again.' })
  async reset(@Param('phoneNumber') rawNumber: string, @Ctx() ctx: RequestContext): Promise<void> {
    const phoneNumber = phoneNumberOf(rawNumber, ctx);
    await this.service.resetSandboxNumber(ctx, phoneNumber);
  }
}
