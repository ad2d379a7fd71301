import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalNotNull } from '../../../common/http/validation.js';

export class TopUpRequestDto {
  @ApiProperty({
    minimum: 1,
    maximum: 10_000_000,
    description: 'Credits to add (one credit = one billable verify).',
  })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  credits!: number;

  @ApiPropertyOptional({
    description: 'When the whole balance expires (ISO 8601). Omitted: the current expiry is kept.',
  })
  @OptionalNotNull()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

export class ClientParamsDto {
  @IsString()
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'clientId must be a client id' })
  clientId!: string;
}

export class HistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
