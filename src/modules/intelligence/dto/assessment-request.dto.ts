import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsIP,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { SUBSCRIBER_PHONE_NUMBER } from '../../../common/phone/phone-number.js';
import { OptionalNotNull } from '../../../common/http/validation.js';
import {
  SERVICE_TYPES,
  SESSION_ID_PATTERN,
  type ServiceType,
} from '../../verification/dto/verify.dto.js';

const MOBILE = { context: { code: 'INVALID_MOBILE_NUMBER' } };
const TEXT_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;
const CONNECTION_TYPES = [
  'CELLULAR',
  'WIFI',
  'ETHERNET',
  'UNKNOWN',
  'cellular',
  'wifi',
  'ethernet',
  'unknown',
  'MOBILE',
  'mobile',
];

/** The Authmatech `device` object: what the client's app knows about the handset. */
@ApiSchema({ name: 'AssessmentDevice' })
export class AssessmentDeviceDto {
  @ApiPropertyOptional({ example: 'android' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(20)
  platform?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(50) osVersion?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(100) model?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(50) appVersion?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(50) sdkVersion?: string;
  @ApiPropertyOptional() @OptionalNotNull() @IsBoolean() isRooted?: boolean;
  @ApiPropertyOptional() @OptionalNotNull() @IsBoolean() isEmulator?: boolean;
  @ApiPropertyOptional() @OptionalNotNull() @IsBoolean() vpnDetected?: boolean;
  @ApiPropertyOptional() @OptionalNotNull() @IsBoolean() proxyDetected?: boolean;

  @ApiPropertyOptional({
    example: 'PASSED',
    description:
      'The platform attestation verdict as the app got it. FAILED, FAIL, TAMPERED, COMPROMISED, INVALID count as a failure; PASSED, PASS, VALID, OK as a pass; anything else as unknown.',
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(50)
  appIntegrityStatus?: string;

  @ApiPropertyOptional({
    description:
      'A stable id of the device (or the deviceIdHash the SDK reported). Stored only keyed-hashed.',
  })
  @OptionalNotNull()
  @IsString()
  @Matches(TEXT_ID, {
    message: 'device.deviceId must be 1-128 characters of letters, digits and ._:+/=-',
  })
  deviceId?: string;
}

/** The Authmatech `network` object: the end user's connection as the client saw it. */
@ApiSchema({ name: 'AssessmentNetwork' })
export class AssessmentNetworkDto {
  @ApiPropertyOptional({ description: "The end user's IP address. Stored only keyed-hashed." })
  @OptionalNotNull()
  @IsIP(undefined, { message: 'network.ipAddress must be an IPv4 or IPv6 address' })
  ipAddress?: string;

  @ApiPropertyOptional({
    example: 'NL',
    description: "ISO 3166-1 alpha-2 country of the end user's IP.",
  })
  @OptionalNotNull()
  @Matches(/^[A-Za-z]{2}$/, { message: 'network.countryCode must be an ISO 3166-1 alpha-2 code' })
  countryCode?: string;

  @ApiPropertyOptional({
    example: 'SANDBOX_NL',
    description: 'The mobile operator of the connection (an operator id).',
  })
  @OptionalNotNull()
  @IsString()
  @Matches(/^[A-Za-z0-9_ -]{1,40}$/, {
    message: 'network.operator must be 1-40 letters, digits, spaces, _ or -',
  })
  operator?: string;

  @ApiPropertyOptional({ enum: CONNECTION_TYPES })
  @OptionalNotNull()
  @IsIn(CONNECTION_TYPES)
  connectionType?: string;
}

/** One request shape for Trust, Shield and Detect (Authmatech), plus the verify's optional serviceType. */
@ApiSchema({ name: 'AssessmentRequest' })
export class AssessmentRequestDto {
  @ApiProperty({ example: '+31612345007', pattern: SUBSCRIBER_PHONE_NUMBER.source })
  @IsString(MOBILE)
  @Matches(SUBSCRIBER_PHONE_NUMBER, {
    ...MOBILE,
    message:
      'mobileNumber must be in E.164 format: +, country code and number, without spaces or dashes',
  })
  mobileNumber!: string;

  @ApiPropertyOptional({
    description: "The caller's own reference, echoed by Trust as `metadataId`.",
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(100)
  metadataId?: string;

  @ApiPropertyOptional({ description: "The caller's session id (accepted; not used as a signal)." })
  @OptionalNotNull()
  @IsString()
  @MaxLength(100)
  sessionId?: string;

  @ApiPropertyOptional({
    description: 'The SDK session of the silent verification (data.sdkSessionId of enrichment).',
  })
  @OptionalNotNull()
  @IsString()
  @Matches(SESSION_ID_PATTERN, {
    message: 'sdkSessionId must be 1-100 characters of letters, digits and ._:-',
  })
  sdkSessionId?: string;

  @ApiPropertyOptional({
    enum: SERVICE_TYPES,
    default: 'LOGIN',
    description: 'The journey; the policy may differ per journey.',
  })
  @OptionalNotNull()
  @IsIn(SERVICE_TYPES)
  serviceType?: ServiceType;

  @ApiPropertyOptional({ type: AssessmentDeviceDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => AssessmentDeviceDto)
  device?: AssessmentDeviceDto;

  @ApiPropertyOptional({ type: AssessmentNetworkDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => AssessmentNetworkDto)
  network?: AssessmentNetworkDto;
}
