import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PHONE_NUMBER_SEARCH } from '../../../common/phone/phone-number.js';
import type { AuditQuery } from '../audit.service.js';

const CONTRACTS = ['authmatech', 'identity_match', 'camara', 'admin', 'system'] as const;
const OUTCOMES = ['success', 'failure'] as const;
const VERDICT_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}:[A-Za-z0-9_.+-]{1,64}$/;

/** Time range shared by every audit query. */
export class AuditRangeDto {
  @ApiPropertyOptional({
    description: 'Inclusive start (ISO 8601).',
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'Exclusive end (ISO 8601).',
    example: '2026-12-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

/** The filters of issue 4, accepted by the list, export and report endpoints. */
export class AuditFilterDto extends AuditRangeDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) clientId?: string;
  @ApiPropertyOptional({ example: 'verify' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;
  @ApiPropertyOptional({ enum: CONTRACTS })
  @IsOptional()
  @IsIn(CONTRACTS)
  contract?: (typeof CONTRACTS)[number];
  @ApiPropertyOptional({ enum: OUTCOMES })
  @IsOptional()
  @IsIn(OUTCOMES)
  outcome?: (typeof OUTCOMES)[number];

  @ApiPropertyOptional({
    description: 'A verdict value, `key:value`.',
    example: 'validNumber:true',
  })
  @IsOptional()
  @Matches(VERDICT_PATTERN, { message: 'verdict must look like key:value' })
  verdict?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) serviceType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) operatorId?: string;

  @ApiPropertyOptional({
    description: 'Searched by its keyed hash; never stored or logged in clear.',
    example: '+962791234567',
  })
  @IsOptional()
  @Matches(PHONE_NUMBER_SEARCH, { message: 'phoneNumber must be a phone number' })
  phoneNumber?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) correlationId?: string;
}

/** Keyset pagination shared by the audit trail's paged reads. */
export class AuditPageDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AuditEventsQueryDto extends IntersectionType(AuditFilterDto, AuditPageDto) {}

export class AuditExportQueryDto extends AuditFilterDto {
  @ApiProperty({ enum: ['csv', 'ndjson'] })
  @IsIn(['csv', 'ndjson'])
  format!: 'csv' | 'ndjson';
}

export class SummaryQueryDto extends AuditFilterDto {
  @ApiProperty({ enum: ['day', 'client', 'action', 'operator'] })
  @IsIn(['day', 'client', 'action', 'operator'])
  groupBy!: 'day' | 'client' | 'action' | 'operator';
}

/** The usage report: an aggregate per day and action, never paged. */
export class PortalUsageQueryDto extends AuditRangeDto {
  @ApiPropertyOptional({ example: 'verify' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;
}

export class PortalHistoryQueryDto extends IntersectionType(PortalUsageQueryDto, AuditPageDto) {}

function parseVerdict(verdict: string): Record<string, unknown> {
  const index = verdict.indexOf(':');
  const key = verdict.slice(0, index);
  const raw = verdict.slice(index + 1);
  let value: unknown = raw;
  if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (raw === 'null') value = null;
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  return { [key]: value };
}

/** The DTO's strings as the service's typed filters. */
export function toAuditQuery(dto: AuditFilterDto | AuditRangeDto): AuditQuery {
  const filter = dto as AuditFilterDto;
  return {
    ...(dto.from ? { from: new Date(dto.from) } : {}),
    ...(dto.to ? { to: new Date(dto.to) } : {}),
    ...(filter.clientId !== undefined ? { clientId: filter.clientId } : {}),
    ...(filter.action !== undefined ? { action: filter.action } : {}),
    ...(filter.contract !== undefined ? { contract: filter.contract } : {}),
    ...(filter.outcome !== undefined ? { outcome: filter.outcome } : {}),
    ...(filter.verdict !== undefined ? { verdict: parseVerdict(filter.verdict) } : {}),
    ...(filter.serviceType !== undefined ? { serviceType: filter.serviceType } : {}),
    ...(filter.operatorId !== undefined ? { operatorId: filter.operatorId } : {}),
    ...(filter.phoneNumber !== undefined ? { phoneNumber: filter.phoneNumber } : {}),
    ...(filter.correlationId !== undefined ? { correlationId: filter.correlationId } : {}),
  };
}

/** What a query asked for, for its own audit event: the phone number is left out (it goes hashed into the event). */
export function describeQuery(dto: object): Record<string, unknown> {
  const { phoneNumber, cursor, ...rest } = dto as AuditFilterDto & { cursor?: string };
  return {
    ...rest,
    ...(phoneNumber !== undefined ? { phoneNumber: 'hashed' } : {}),
    ...(cursor !== undefined ? { paged: true } : {}),
  };
}
