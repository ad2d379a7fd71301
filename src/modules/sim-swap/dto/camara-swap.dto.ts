import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { AcceptsUnknownFields, OptionalNotNull } from '../../../common/http/validation.js';
import { CAMARA_PHONE_NUMBER } from '../../../common/phone/phone-number.js';

export const MAX_AGE_LIMIT_HOURS = 2_400;
export const DEFAULT_MAX_AGE_HOURS = 240;

/**
 * `@Max` that judges numbers only: a string maxAge must be INVALID_ARGUMENT (a schema error), not
 * OUT_OF_RANGE, and the pipe picks the code of any failing rule that names one.
 */
function AtMost(limit: number, options: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'atMost',
      validator: { validate: (value: unknown) => typeof value !== 'number' || value <= limit },
    },
    options,
  );
}

/**
 * `phoneNumber` is optional in the schema, as in CAMARA (three-legged tokens carry it); with our
 * two-legged tokens its absence is a 422 MISSING_IDENTIFIER from the service, not a 400. `null` is
 * not absence: it breaks the schema (400 INVALID_ARGUMENT). CAMARA's request schemas allow fields
 * they do not define, so unknown fields are ignored, not refused.
 */
@AcceptsUnknownFields()
export class SwapRetrieveDateRequestDto {
  @ApiPropertyOptional({ example: '+31612345001', pattern: CAMARA_PHONE_NUMBER.source })
  @OptionalNotNull()
  @IsString()
  @Matches(CAMARA_PHONE_NUMBER, { message: 'phoneNumber must be in E.164 format with a leading +' })
  phoneNumber?: string;
}

export class SwapCheckRequestDto extends SwapRetrieveDateRequestDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_AGE_LIMIT_HOURS,
    default: DEFAULT_MAX_AGE_HOURS,
    description: 'Period in hours to check for a swap.',
  })
  @OptionalNotNull()
  @IsInt({ message: 'maxAge must be an integer number of hours' })
  @Min(1, { message: 'maxAge must be at least 1 hour' })
  @AtMost(MAX_AGE_LIMIT_HOURS, {
    message: `maxAge must not exceed ${MAX_AGE_LIMIT_HOURS} hours`,
    context: { code: 'OUT_OF_RANGE' },
  })
  maxAge?: number;
}

export class SwapCheckResponseDto {
  @ApiProperty({ description: 'True when the SIM (or device) changed within maxAge hours.' })
  swapped!: boolean;
}

export class SimSwapInfoDto {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description:
      'Latest SIM change; the activation date when never swapped (unlimited history); null when unknown or never associated.',
  })
  latestSimChange!: string | null;

  @ApiPropertyOptional({
    description:
      'Days of history the operator may keep, given when latestSimChange is null for that reason.',
  })
  monitoredPeriod?: number;
}

export class DeviceSwapInfoDto {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description:
      'Latest device change; the first connection to the current device when never changed (unlimited history); null when unknown.',
  })
  latestDeviceChange!: string | null;

  @ApiPropertyOptional({
    description:
      'Days of history the operator may keep, given when latestDeviceChange is null for that reason.',
  })
  monitoredPeriod?: number;
}
