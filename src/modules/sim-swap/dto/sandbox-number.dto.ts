import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches, ValidateIf } from 'class-validator';
import { RFC3339_DATE_TIME } from '../../../common/http/rfc3339.js';

export class SetSandboxNumberRequestDto {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'Latest SIM change; null = never swapped (the activation date is answered).',
  })
  @ValidateIf((_, value) => value !== null)
  @Matches(RFC3339_DATE_TIME, { message: 'latestSimChange must be an RFC 3339 date-time or null' })
  latestSimChange!: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'Latest device change; null or absent = same device since activation.',
  })
  @IsOptional()
  @Matches(RFC3339_DATE_TIME, {
    message: 'latestDeviceChange must be an RFC 3339 date-time or null',
  })
  latestDeviceChange?: string | null;
}

export class SandboxNumberDto {
  @ApiProperty()
  phoneNumber!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  latestSimChange!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  latestDeviceChange!: string | null;
}
