import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { JwtAuth, RequireProduct } from '../../common/auth/auth.decorators.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import type { SwapKind } from './adapters/swap-adapter.js';
import {
  DEFAULT_MAX_AGE_HOURS,
  DeviceSwapInfoDto,
  SimSwapInfoDto,
  SwapCheckRequestDto,
  SwapCheckResponseDto,
  SwapRetrieveDateRequestDto,
} from './dto/camara-swap.dto.js';
import { clientEnvironmentOf, SimSwapService, type LookupContext } from './sim-swap.service.js';

function camaraContext(
  request: FastifyRequest,
  action: string,
  serviceType: string,
): LookupContext {
  const facts = auditFacts(request);
  facts.action = action;
  facts.serviceType = serviceType;
  return { contract: 'camara', facts, correlationId: request.id, clientEnvironment: clientEnvironmentOf(request) };
}

async function check(
  service: SimSwapService,
  kind: SwapKind,
  body: SwapCheckRequestDto,
  request: FastifyRequest,
  action: string,
): Promise<SwapCheckResponseDto> {
  const context = camaraContext(request, action, 'check');
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
@ApiTags('CAMARA SIM Swap')
@JwtAuth()
@RequireProduct('SIM_SWAP')
@Controller('sim-swap/v2')
export class CamaraSimSwapController {
  constructor(private readonly service: SimSwapService) {}

  @Post('check')
  @HttpCode(200)
  @AuditAction('sim_swap.check')
  @ApiOperation({ summary: 'Was the SIM swapped within maxAge hours?' })
  check(
    @Body() body: SwapCheckRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<SwapCheckResponseDto> {
    return check(this.service, 'sim', body, request, 'sim_swap.check');
  }

  @Post('retrieve-date')
  @HttpCode(200)
  @AuditAction('sim_swap.retrieve_date')
  @ApiOperation({ summary: 'When was the SIM last swapped?' })
  async retrieveDate(
    @Body() body: SwapRetrieveDateRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<SimSwapInfoDto> {
    const context = camaraContext(request, 'sim_swap.retrieve_date', 'retrieve-date');
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
@ApiTags('CAMARA Device Swap')
@JwtAuth()
@RequireProduct('DEVICE_SWAP')
@Controller('device-swap/v1')
export class CamaraDeviceSwapController {
  constructor(private readonly service: SimSwapService) {}

  @Post('check')
  @HttpCode(200)
  @AuditAction('device_swap.check')
  @ApiOperation({ summary: 'Did the number move to another device within maxAge hours?' })
  check(
    @Body() body: SwapCheckRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<SwapCheckResponseDto> {
    return check(this.service, 'device', body, request, 'device_swap.check');
  }

  @Post('retrieve-date')
  @HttpCode(200)
  @AuditAction('device_swap.retrieve_date')
  @ApiOperation({ summary: 'When did the number last move to another device?' })
  async retrieveDate(
    @Body() body: SwapRetrieveDateRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<DeviceSwapInfoDto> {
    const context = camaraContext(request, 'device_swap.retrieve_date', 'retrieve-date');
    const date = await this.service.retrieveDate('device', body.phoneNumber, context);
    return {
      latestDeviceChange: date.latestChange?.toISOString() ?? null,
      ...(date.monitoredPeriodDays === undefined
        ? {}
        : { monitoredPeriod: date.monitoredPeriodDays }),
    };
  }
}
