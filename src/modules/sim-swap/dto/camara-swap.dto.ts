import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { AcceptsUnknownFields, OptionalNotNull } from '../../../common/http/validation.js';
import {
  CAMARA_PHONE_NUMBER,
  CAMARA_PHONE_NUMBER_DESCRIPTION,
} from '../../../common/phone/phone-number.js';

const MAX_AGE_LIMIT_HOURS = 2_400;
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
class SwapRetrieveDateRequestDto {
  @ApiPropertyOptional({
    type: String,
    example: '+346661113334',
    pattern: CAMARA_PHONE_NUMBER.source,
    description: CAMARA_PHONE_NUMBER_DESCRIPTION,
  })
  @OptionalNotNull()
  @IsString()
  @Matches(CAMARA_PHONE_NUMBER, { message: 'phoneNumber must be in E.164 format with a leading +' })
  phoneNumber?: string;
}

export class SwapCheckRequestDto extends SwapRetrieveDateRequestDto {
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_AGE_LIMIT_HOURS,
    default: DEFAULT_MAX_AGE_HOURS,
    example: DEFAULT_MAX_AGE_HOURS,
    description: 'Period in hours to be checked for a swap.',
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

// The official schema names, so the document reads like CAMARA's own definitions.
@ApiSchema({ name: 'CreateSimSwapDate' })
export class CreateSimSwapDateDto extends SwapRetrieveDateRequestDto {}

@ApiSchema({ name: 'CreateCheckSimSwap' })
export class CreateCheckSimSwapDto extends SwapCheckRequestDto {}

@ApiSchema({ name: 'CreateDeviceSwapDate' })
export class CreateDeviceSwapDateDto extends SwapRetrieveDateRequestDto {}

@ApiSchema({ name: 'CreateCheckDeviceSwap' })
export class CreateCheckDeviceSwapDto extends SwapCheckRequestDto {}

/** The answer of both check operations. */
export interface SwapCheckAnswer {
  swapped: boolean;
}

@ApiSchema({ name: 'CheckSimSwapInfo' })
export class CheckSimSwapInfoDto implements SwapCheckAnswer {
  @ApiProperty({
    description:
      'Indicates whether the SIM card has been swapped during the period within the provided age.',
  })
  swapped!: boolean;
}

@ApiSchema({ name: 'CheckDeviceSwapInfo' })
export class CheckDeviceSwapInfoDto implements SwapCheckAnswer {
  @ApiProperty({
    description:
      'Indicates whether the device has been swapped during the period within the provided age.',
  })
  swapped!: boolean;
}

@ApiSchema({ name: 'SimSwapInfo' })
export class SimSwapInfoDto {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    example: '2023-07-03T14:27:08.312+02:00',
    description:
      'Timestamp of latest SIM swap performed (RFC 3339, with time zone); the activation date when never swapped (unlimited history); null when unknown or never associated.',
  })
  latestSimChange!: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    example: 120,
    description:
      'Timeframe in days for SIM card change supervision for the phone number, given when latestSimChange is null for that reason.',
  })
  monitoredPeriod?: number;
}

@ApiSchema({ name: 'DeviceSwapInfo' })
export class DeviceSwapInfoDto {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    example: '2023-07-03T14:27:08.312+02:00',
    description:
      'Timestamp of latest device swap performed (RFC 3339, with time zone); the first connection to the current device when never changed (unlimited history); null when unknown.',
  })
  latestDeviceChange!: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    example: 120,
    description:
      'Timeframe in days for device change supervision for the phone number, given when latestDeviceChange is null for that reason.',
  })
  monitoredPeriod?: number;
}
