import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtAuth, RequireProduct } from '../../common/auth/auth.decorators.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors, type DocumentedErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import type { SwapKind } from './adapters/swap-adapter.js';
import {
  CheckDeviceSwapInfoDto,
  CheckSimSwapInfoDto,
  CreateCheckDeviceSwapDto,
  CreateCheckSimSwapDto,
  CreateDeviceSwapDateDto,
  CreateSimSwapDateDto,
  DEFAULT_MAX_AGE_HOURS,
  DeviceSwapInfoDto,
  SimSwapInfoDto,
  type SwapCheckRequestDto,
  type SwapCheckAnswer,
} from './dto/camara-swap.dto.js';

/**
 * The codes per status of the official definitions (SIM Swap 2.1.0, Device Swap 1.0.0), and the
 * 503/504 of CAMARA Commonalities this gateway answers when an operator fails. The document adds
 * 401, 403, 413, 415, 429 and 500 from the route's shape.
 */
const CAMARA_ERRORS: DocumentedErrors = {
  400: ['INVALID_ARGUMENT'],
  404: ['NOT_FOUND', 'IDENTIFIER_NOT_FOUND'],
  422: ['SERVICE_NOT_APPLICABLE', 'MISSING_IDENTIFIER', 'UNNECESSARY_IDENTIFIER'],
  429: ['QUOTA_EXCEEDED', 'TOO_MANY_REQUESTS'],
  503: ['UNAVAILABLE'],
  504: ['TIMEOUT'],
};
const WITH_OUT_OF_RANGE: DocumentedErrors = {
  ...CAMARA_ERRORS,
  400: ['INVALID_ARGUMENT', 'OUT_OF_RANGE'],
};

const NOT_SENT =
  ' `UNNECESSARY_IDENTIFIER` and `QUOTA_EXCEEDED` belong to the CAMARA definition but are never sent here: tokens are two-legged (so `phoneNumber` is required, else 422 `MISSING_IDENTIFIER`) and there are no business quotas. Unknown body fields are ignored.';
import { lookupContextOf, SimSwapService, type LookupContext } from './sim-swap.service.js';

function camaraContext(ctx: RequestContext, action: string, serviceType: string): LookupContext {
  ctx.audit.action = action;
  ctx.audit.serviceType = serviceType;
  return lookupContextOf(ctx, 'camara');
}

async function check(
  service: SimSwapService,
  kind: SwapKind,
  body: SwapCheckRequestDto,
  ctx: RequestContext,
  action: string,
): Promise<SwapCheckAnswer> {
  const context = camaraContext(ctx, action, 'check');
  return {
    swapped: await service.check(
      kind,
      body.phoneNumber,
      body.maxAge ?? DEFAULT_MAX_AGE_HOURS,
      context,
    ),
  };
}

/** CAMARA SIM Swap v2.1. */
@ApiTags(Tags.camaraSimSwap)
@JwtAuth()
@RequireProduct('SIM_SWAP')
@Controller('sim-swap/v2')
export class CamaraSimSwapController {
  constructor(private readonly service: SimSwapService) {}

  @Post('check')
  @HttpCode(200)
  @AuditAction('sim_swap.check')
  @OwnUnitOfWork()
  @ApiOperation({
    operationId: 'checkSimSwap',
    summary: 'Check SIM swap',
    description: `Check if SIM swap has been performed during a past period (\`maxAge\` hours, default 240). 400 \`OUT_OF_RANGE\` when maxAge exceeds 2400 or the operator's monitored period.${NOT_SENT}`,
  })
  @ApiOkResponse({
    type: CheckSimSwapInfoDto,
    description: 'Returns whether a SIM swap has been performed during a past period',
  })
  @ApiErrors(WITH_OUT_OF_RANGE)
  check(
    @Body() body: CreateCheckSimSwapDto,
    @Ctx() ctx: RequestContext,
  ): Promise<CheckSimSwapInfoDto> {
    return check(this.service, 'sim', body, ctx, 'sim_swap.check');
  }

  @Post('retrieve-date')
  @HttpCode(200)
  @AuditAction('sim_swap.retrieve_date')
  @OwnUnitOfWork()
  @ApiOperation({
    operationId: 'retrieveSimSwapDate',
    summary: 'Retrieve SIM swap date',
    description: `Get timestamp of last SIM swap event for a mobile user account provided with phone number.${NOT_SENT}`,
  })
  @ApiOkResponse({
    type: SimSwapInfoDto,
    description: 'Contains information about SIM swap change',
  })
  @ApiErrors(WITH_OUT_OF_RANGE)
  async retrieveDate(
    @Body() body: CreateSimSwapDateDto,
    @Ctx() ctx: RequestContext,
  ): Promise<SimSwapInfoDto> {
    const context = camaraContext(ctx, 'sim_swap.retrieve_date', 'retrieve-date');
    const date = await this.service.retrieveDate('sim', body.phoneNumber, context);
    return {
      latestSimChange: date.latestChange?.toISOString() ?? null,
      ...(date.monitoredPeriodDays === undefined
        ? {}
        : { monitoredPeriod: date.monitoredPeriodDays }),
    };
  }
}

/** CAMARA Device Swap v1: the same rules, about the device the number is used in. */
@ApiTags(Tags.camaraDeviceSwap)
@JwtAuth()
@RequireProduct('DEVICE_SWAP')
@Controller('device-swap/v1')
export class CamaraDeviceSwapController {
  constructor(private readonly service: SimSwapService) {}

  @Post('check')
  @HttpCode(200)
  @AuditAction('device_swap.check')
  @OwnUnitOfWork()
  @ApiOperation({
    operationId: 'checkDeviceSwap',
    summary: 'Check last device swap date',
    description: `Check if device swap has been performed during a past period (\`maxAge\` hours, default 240).${NOT_SENT}`,
  })
  @ApiOkResponse({
    type: CheckDeviceSwapInfoDto,
    description: 'Returns whether a device swap has been performed during a past period',
  })
  @ApiErrors(WITH_OUT_OF_RANGE)
  check(
    @Body() body: CreateCheckDeviceSwapDto,
    @Ctx() ctx: RequestContext,
  ): Promise<CheckDeviceSwapInfoDto> {
    return check(this.service, 'device', body, ctx, 'device_swap.check');
  }

  @Post('retrieve-date')
  @HttpCode(200)
  @AuditAction('device_swap.retrieve_date')
  @OwnUnitOfWork()
  @ApiOperation({
    operationId: 'retrieveDeviceSwapDate',
    summary: 'Get last device swap date',
    description: `Get timestamp of last device swap for a mobile user account provided with phone number.${NOT_SENT}`,
  })
  @ApiOkResponse({
    type: DeviceSwapInfoDto,
    description: 'Contains information about Device swap change',
  })
  @ApiErrors(CAMARA_ERRORS)
  async retrieveDate(
    @Body() body: CreateDeviceSwapDateDto,
    @Ctx() ctx: RequestContext,
  ): Promise<DeviceSwapInfoDto> {
    const context = camaraContext(ctx, 'device_swap.retrieve_date', 'retrieve-date');
    const date = await this.service.retrieveDate('device', body.phoneNumber, context);
    return {
      latestDeviceChange: date.latestChange?.toISOString() ?? null,
      ...(date.monitoredPeriodDays === undefined
        ? {}
        : { monitoredPeriod: date.monitoredPeriodDays }),
    };
  }
}
