import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { PageOf } from '../../../common/openapi/api-docs.decorators.js';

const DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'cancelled'] as const;
export type DeliveryStatusName = (typeof DELIVERY_STATUSES)[number];

class DeliveryFilterDto {
  @ApiPropertyOptional({
    enum: DELIVERY_STATUSES,
    description: '`dead`: every attempt failed (the dead letters).',
  })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatusName;

  @ApiPropertyOptional({ type: String, description: "Only this client's events." })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  clientId?: string;
}

export class DeliveriesQueryDto extends IntersectionType(DeliveryFilterDto, PageQueryDto) {}

export class DeliveryAttemptDto {
  @ApiProperty({ type: 'integer' })
  attempt!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  startedAt!: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "The sink's HTTP status; null when it did not answer.",
  })
  httpStatus!: number | null;

  @ApiProperty({ type: 'integer' })
  latencyMs!: number;

  @ApiProperty({ enum: ['delivered', 'retry', 'gone', 'dead'] })
  outcome!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why it failed, without the body, URL or token.',
  })
  error!: string | null;
}

export class DeliveryDto {
  @ApiProperty({
    type: String,
    format: 'uuid',
    description: 'The CloudEvents id, the same on every attempt.',
  })
  id!: string;

  @ApiProperty({ type: String, format: 'uuid' })
  subscriptionId!: string;

  @ApiProperty({ type: String })
  clientId!: string;

  @ApiProperty({ type: String })
  type!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: DeliveryStatusName;

  @ApiProperty({ type: 'integer' })
  attempts!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  nextAttemptAt!: string;

  @ApiProperty({ type: 'integer', nullable: true })
  lastHttpStatus!: number | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;
}

export class DeliveryDetailDto extends DeliveryDto {
  @ApiProperty({ type: String, description: "The subscriber's number, masked." })
  phoneMasked!: string;

  @ApiProperty({ type: [DeliveryAttemptDto] })
  attemptLog!: DeliveryAttemptDto[];
}

export const DeliveryPageDto = PageOf(DeliveryDto, 'WebhookDeliveryPage');

export class SigningKeyDto {
  @ApiProperty({ type: String, example: 'whk_3f9a0c…', description: 'Sent in `webhook-key-id`.' })
  id!: string;

  @ApiProperty({
    type: String,
    description:
      'The secret (`whsec_…`), shown only in this answer. Verify `webhook-signature` with it.',
  })
  secret!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: "Until then, events carry the previous keys' signatures too.",
  })
  previousKeysRetireAt!: string;
}
