import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { OPERATOR_ID_PATTERN, SESSION_ID_PATTERN } from './verify.dto.js';
import { OptionalNotNull } from '../../../common/http/validation.js';

const HASH = /^[A-Za-z0-9+/=_-]{8,128}$/;

/** What the SDK knows about the device. Hashes only; the client IP is never taken from here. */
export class DeviceContextDto {
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @Matches(HASH) deviceIdHash?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @Matches(HASH) installationIdHash?: string;
  @ApiPropertyOptional({ enum: ['android', 'ios', 'web'] })
  @OptionalNotNull()
  @IsIn(['android', 'ios', 'web', 'ANDROID', 'IOS', 'WEB'])
  platform?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(50) osVersion?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(50) appVersion?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(100) deviceModel?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(100) manufacturer?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(50) sdkVersion?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(512) userAgent?: string;
}

export class SdkSessionDto {
  @ApiProperty({ description: 'data.sdkSessionId from enrichment.' })
  @IsString()
  @Matches(SESSION_ID_PATTERN, {
    message: 'sdkSessionId must be 1-100 characters of letters, digits and ._:-',
  })
  sdkSessionId!: string;

  @ApiPropertyOptional({ example: 'ZAIN_JO' })
  @OptionalNotNull()
  @IsString()
  @Matches(OPERATOR_ID_PATTERN, { message: 'mnoId must be an operator id such as ZAIN_JO' })
  mnoId?: string;

  @ApiProperty()
  @IsBoolean()
  authmatechCodePresent!: boolean;

  @ApiPropertyOptional({
    description: 'Hash of the proof the SDK received (never the proof itself).',
  })
  @OptionalNotNull()
  @IsString()
  @Matches(HASH, { message: 'authmatechCodeHash must be 8-128 characters of hex or base64' })
  authmatechCodeHash?: string;

  @ApiPropertyOptional({ type: DeviceContextDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => DeviceContextDto)
  deviceContext?: DeviceContextDto;
}
