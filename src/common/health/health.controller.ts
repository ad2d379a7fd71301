import {
  Controller,
  Get,
  HttpCode,
  Res,
  ServiceUnavailableException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiSchema,
  ApiServiceUnavailableResponse,
  ApiTags,
  type ApiPropertyOptions,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator.js';
import { Tags } from '../openapi/api-tags.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { ReadinessCheck } from './readiness-check.js';
import { Readiness } from './readiness.js';

/** The liveness probe's route and answer; `configureApp` answers it before Nest's pipeline (see there). */
export const LIVENESS_PATH = '/health/live';
export const LIVENESS_ANSWER = { status: 'ok' } as const;

@ApiSchema({ name: 'Liveness' })
class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

const checks = (description: string): ApiPropertyOptions => ({
  type: 'object',
  description,
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] } },
    additionalProperties: true,
  },
});

/** The report of @nestjs/terminus: each check's state, split into healthy (`info`) and failed (`error`). */
@ApiSchema({ name: 'Readiness' })
class ReadinessDto {
  @ApiProperty({ enum: ['ok', 'error', 'degraded', 'shutting_down'] })
  status!: string;

  @ApiPropertyOptional(checks('Checks that passed, e.g. {"database": {"status": "up"}}.'))
  info?: object;

  @ApiPropertyOptional(checks('Checks that failed.'))
  error?: object;

  @ApiProperty(checks('Every check.'))
  details!: object;
}

interface ShuttingDown {
  status: 'shutting_down';
  details: Record<string, never>;
}

@ApiTags(Tags.health)
@Public()
@Controller('health')
export class HealthController implements OnApplicationBootstrap {
  private moduleChecks: ReadinessCheck[] = [];

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly moduleRef: ModuleRef,
    private readonly readiness: Readiness,
  ) {}

  onApplicationBootstrap(): void {
    try {
      this.moduleChecks = [this.moduleRef.get(ReadinessCheck, { strict: false })];
    } catch {
      this.moduleChecks = []; // no module adds a check (e.g. a test module without the audit trail)
    }
  }

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is up (no dependency is checked).' })
  @ApiOkResponse({ type: LivenessDto, description: 'Up.' })
  live(): typeof LIVENESS_ANSWER {
    return LIVENESS_ANSWER;
  }

  @Get('ready')
  // Terminus would add its own response schemas; ours below are the ones the document keeps.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      'The gateway can serve: its database answers a query and its audit trail can be appended to (the audit writer is not stalled, the chain head can be locked). 503 otherwise, and while it drains at shutdown (`shutting_down`).',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready.' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'Not ready: the report says which check failed.',
  })
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthCheckResult | ShuttingDown> {
    if (this.readiness.draining) {
      reply.status(503);
      return { status: 'shutting_down', details: {} };
    }
    try {
      return await this.health.check([
        () => this.database.check(),
        ...this.moduleChecks.map((check) => () => check.check()),
      ]);
    } catch (error) {
      // Terminus reports a failed check as an exception carrying the report; keep its body.
      if (error instanceof ServiceUnavailableException) {
        reply.status(503);
        return error.getResponse() as HealthCheckResult;
      }
      throw error;
    }
  }
}
