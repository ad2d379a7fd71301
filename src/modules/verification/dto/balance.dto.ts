import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalNotNull } from '../../../common/http/validation.js';

@ApiSchema({ name: 'TopUpRequest' })
export class TopUpRequestDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 10_000_000,
    description: 'Credits to add (one credit = one billable verify).',
  })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  credits!: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'When the whole balance expires (ISO 8601). Omitted: the current expiry is kept.',
  })
  @OptionalNotNull()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

export class ClientParamsDto {
  @ApiProperty({ description: 'The client id.', maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })
  @IsString()
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'clientId must be a client id' })
  clientId!: string;
}
