import { ApiProperty, ApiSchema, type ApiPropertyOptions } from '@nestjs/swagger';
import { PageOf } from '../../../common/openapi/api-docs.decorators.js';
import type { AuditRecord } from '../audit-chain.js';
import type { BrokenLinkKind, IntegrityReport } from '../audit-integrity.service.js';
import type { SummaryRow } from '../audit.repository.js';

const nullableString = (description?: string): ApiPropertyOptions => ({
  type: String,
  nullable: true,
  ...(description ? { description } : {}),
});
const nullableInteger = (description?: string): ApiPropertyOptions => ({
  type: 'integer' as const,
  nullable: true,
  ...(description ? { description } : {}),
});

/** One of the client's own past calls, without the audit trail's internal fields. */
export interface ClientHistoryItem {
  id: string;
  occurredAt: string;
  correlationId: string | null;
  action: string;
  serviceType: string | null;
  operatorId: string | null;
  phoneNumberMasked: string | null;
  outcome: string;
  verdict: unknown;
  httpStatus: number | null;
  errorCode: string | null;
  latencyMs: number | null;
}

/** A JSON object as recorded, or null. */
const json = (description: string): ApiPropertyOptions => ({
  type: 'object',
  nullable: true,
  additionalProperties: true,
  description,
});

class UpstreamCallDto {
  @ApiProperty() operatorId!: string;
  @ApiProperty({
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    description: "HTTP status, or a failure label such as 'timeout', 'circuit_open', 'network'.",
  })
  status!: number | string;
  @ApiProperty({ type: 'integer' }) latencyMs!: number;
}

@ApiSchema({ name: 'AuditEvent', description: 'One event of the tamper-evident trail.' })
export class AuditEventDto implements AuditRecord {
  @ApiProperty({
    description: 'Chain position (a decimal string: it may exceed 2^53).',
    example: '1024',
  })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty(nullableString('The x-correlator of the request.'))
  correlationId!: string | null;

  @ApiProperty(nullableString())
  clientId!: string | null;

  @ApiProperty(nullableString('api_key, sdk_token, jwt_key, admin_key …'))
  credentialKind!: string | null;

  @ApiProperty(nullableString())
  credentialFingerprint!: string | null;

  @ApiProperty({ description: 'client, admin, system or anonymous.' })
  actorType!: string;

  @ApiProperty(nullableString())
  actorId!: string | null;

  @ApiProperty({ example: 'sim_swap.check' })
  action!: string;

  @ApiProperty({ description: 'authmatech, identity_match, camara, admin or system.' })
  contract!: string;

  @ApiProperty(nullableString())
  serviceType!: string | null;

  @ApiProperty(nullableString())
  operatorId!: string | null;

  @ApiProperty(nullableString('HMAC-SHA-256 of the number under the phone pepper.'))
  phoneHash!: string | null;

  @ApiProperty(nullableString('`+**********67`'))
  phoneMasked!: string | null;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;

  @ApiProperty(json('The decision returned, e.g. {"swapped": false, "maxAge": 240}.'))
  verdict!: unknown;

  @ApiProperty(nullableInteger())
  httpStatus!: number | null;

  @ApiProperty(nullableString())
  errorCode!: string | null;

  @ApiProperty(nullableInteger())
  latencyMs!: number | null;

  @ApiProperty(nullableString())
  sourceIp!: string | null;

  @ApiProperty(nullableString())
  userAgent!: string | null;

  @ApiProperty({ type: [UpstreamCallDto], nullable: true, description: 'Calls made to operators.' })
  upstream!: unknown;

  @ApiProperty(json('Extra non-personal detail.'))
  detail!: unknown;

  @ApiProperty({ description: 'Hash of the previous event (hex).' })
  prevHash!: string;

  @ApiProperty({ description: 'SHA-256 over prevHash and the canonical content (hex).' })
  hash!: string;
}

export const AuditEventPageDto = PageOf(AuditEventDto, 'AuditEventPage');

export class BrokenLinkDto {
  @ApiProperty()
  position!: string;

  @ApiProperty({ enum: ['missing', 'duplicate', 'broken_link', 'altered', 'head_mismatch'] })
  kind!: BrokenLinkKind;

  @ApiProperty()
  message!: string;
}

@ApiSchema({ name: 'IntegrityReport' })
export class IntegrityReportDto implements IntegrityReport {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ type: 'integer' })
  checkedEvents!: number;

  @ApiProperty(nullableString('First position checked.'))
  fromPosition!: string | null;

  @ApiProperty()
  headPosition!: string;

  @ApiProperty()
  headHash!: string;

  @ApiProperty(nullableString('The retention event vouching for the start of the retained chain.'))
  retentionEventId!: string | null;

  @ApiProperty({ type: BrokenLinkDto, nullable: true })
  firstBroken!: BrokenLinkDto | null;
}

export class SummaryGroupDto implements SummaryRow {
  @ApiProperty(nullableString('The group: a day (YYYY-MM-DD), client id, action or operator id.'))
  key!: string | null;

  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: 'integer' }) successes!: number;
  @ApiProperty({ type: 'integer' }) failures!: number;
  @ApiProperty({ type: 'integer' }) verifications!: number;
  @ApiProperty({ type: 'integer' }) verified!: number;
  @ApiProperty({ type: 'integer' }) simSwapChecks!: number;
  @ApiProperty({ type: 'integer' }) simSwapPositives!: number;
  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'Milliseconds (interpolated percentile).',
  })
  latencyP50!: number | null;
  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'Milliseconds (interpolated percentile).',
  })
  latencyP95!: number | null;

  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'verified / verifications; null without verifications.',
  })
  verificationPassRate!: number | null;
}

@ApiSchema({
  name: 'AuditSummary',
  description:
    'A report over the filtered events (an aggregate, bounded by the groups: not paged).',
})
export class AuditSummaryDto {
  @ApiProperty({ enum: ['day', 'client', 'action', 'operator'] })
  groupBy!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  from!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  to!: string | null;

  @ApiProperty({ type: [SummaryGroupDto] })
  groups!: SummaryGroupDto[];
}

@ApiSchema({ name: 'ClientHistoryItem', description: "One of the client's own past calls." })
class ClientHistoryItemDto implements ClientHistoryItem {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty(nullableString()) correlationId!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty(nullableString()) serviceType!: string | null;
  @ApiProperty(nullableString()) operatorId!: string | null;
  @ApiProperty(nullableString('`+**********67`')) phoneNumberMasked!: string | null;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome!: string;
  @ApiProperty(json('The decision returned.')) verdict!: unknown;
  @ApiProperty(nullableInteger()) httpStatus!: number | null;
  @ApiProperty(nullableString()) errorCode!: string | null;
  @ApiProperty(nullableInteger()) latencyMs!: number | null;
}

export const ClientHistoryPageDto = PageOf(ClientHistoryItemDto, 'ClientHistoryPage');

export class UsageDayDto {
  @ApiProperty({ example: '2026-11-23' }) day!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: 'integer' }) successes!: number;
  @ApiProperty({ type: 'integer' }) failures!: number;
}

@ApiSchema({
  name: 'UsageReport',
  description: 'Calls per day and action (an aggregate, bounded by from/to: not paged).',
})
export class UsageReportDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) from!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) to!: string | null;
  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: [UsageDayDto] }) days!: UsageDayDto[];
}
