import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import type { IdentityMatchServiceType } from '../sim-swap.service.js';
import { CAMARA_PHONE_NUMBER } from '../../../common/phone/phone-number.js';

const SERVICE_TYPES: IdentityMatchServiceType[] = ['timestamp', '24h', 'range'];

@ApiSchema({ name: 'IdentityMatchSimSwapRequest' })
export class IdentityMatchSimSwapRequestDto {
  @ApiProperty({
    example: '+31612345001',
    pattern: CAMARA_PHONE_NUMBER.source,
    description: 'E.164 with the leading +.',
  })
  @IsString()
  @Matches(CAMARA_PHONE_NUMBER, { message: 'phoneNumber must be in E.164 format with a leading +' })
  phoneNumber!: string;

  @ApiProperty({ enum: SERVICE_TYPES })
  @IsIn(SERVICE_TYPES, { message: 'serviceType must be one of timestamp, 24h, range' })
  serviceType!: IdentityMatchServiceType;
}

@ApiSchema({ name: 'IdentityMatchTimestampAnswer', description: 'serviceType `timestamp`.' })
export class IdentityMatchTimestampAnswerDto {
  @ApiProperty({ enum: ['success'] })
  state!: 'success';

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      "Latest SIM change (the activation date when never swapped), ISO 8601 UTC; null beyond the operator's legal monitoring limit.",
  })
  timestamp!: string | null;
}

@ApiSchema({ name: 'IdentityMatch24hAnswer', description: 'serviceType `24h`.' })
export class IdentityMatch24hAnswerDto {
  @ApiProperty({
    name: '24h',
    description: 'True when the latest SIM change was at most 24 hours ago.',
  })
  within24h!: boolean;
}

export class SwapRangeDto {
  @ApiProperty({
    type: 'integer',
    description: 'Seconds since the change are greater than this.',
    example: 3600,
  })
  gt!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Seconds since the change are at most this; -1 = no upper bound.',
    example: 86400,
  })
  lt!: number;
}

@ApiSchema({ name: 'IdentityMatchRangeAnswer', description: 'serviceType `range`.' })
export class IdentityMatchRangeAnswerDto {
  @ApiProperty({ type: SwapRangeDto })
  range!: SwapRangeDto;
}
