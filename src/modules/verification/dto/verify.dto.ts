import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { SUBSCRIBER_PHONE_NUMBER } from '../../../common/phone/phone-number.js';
import { OptionalNotNull } from '../../../common/http/validation.js';

export const SERVICE_TYPES = [
  'REGISTRATION',
  'LOGIN',
  'RESET_PASS',
  'UPDATE_DETAILS',
  'TRANSACTION',
] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

const MOBILE = { context: { code: 'INVALID_MOBILE_NUMBER' } };
export const OPERATOR_ID_PATTERN = /^[A-Z0-9_]{2,40}$/;
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/** The seed's verify body, exactly: unknown fields are refused by the global pipe. */
@ApiSchema({ name: 'VerifyRequest' })
export class VerifyRequestDto {
  @ApiProperty({
    example: '+962791234567',
    pattern: SUBSCRIBER_PHONE_NUMBER.source,
    description: 'The number the customer claims, E.164.',
  })
  @IsString(MOBILE)
  @Matches(SUBSCRIBER_PHONE_NUMBER, {
    ...MOBILE,
    message:
      'mobileNumber must be in E.164 format: +, country code and number, without spaces or dashes',
  })
  mobileNumber!: string;

  @ApiProperty({ description: 'The proof returned by enrichment (data.authmatechCode).' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  encryptedMobileNumber!: string;

  @ApiProperty({ example: 'ZAIN_JO' })
  @IsString()
  @Matches(OPERATOR_ID_PATTERN, { message: 'operatorId must be an operator id such as ZAIN_JO' })
  operatorId!: string;

  @ApiProperty({ enum: SERVICE_TYPES })
  @IsIn(SERVICE_TYPES)
  serviceType!: ServiceType;

  @ApiPropertyOptional({
    description:
      'Links the verification to the SDK session; must be the session the proof was issued in.',
  })
  @OptionalNotNull()
  @IsString()
  @Matches(SESSION_ID_PATTERN, {
    message: 'sdkSessionId must be 1-100 characters of letters, digits and ._:-',
  })
  sdkSessionId?: string;
}

/** Web variant: the proof stays on the gateway, named by the transaction (enrichment session) id. */
@ApiSchema({ name: 'VerifyTransactionRequest' })
export class VerifyTransactionRequestDto {
  @ApiProperty({ example: '+962791234567', pattern: SUBSCRIBER_PHONE_NUMBER.source })
  @IsString(MOBILE)
  @Matches(SUBSCRIBER_PHONE_NUMBER, {
    ...MOBILE,
    message:
      'mobileNumber must be in E.164 format: +, country code and number, without spaces or dashes',
  })
  mobileNumber!: string;

  @ApiProperty({ enum: SERVICE_TYPES })
  @IsIn(SERVICE_TYPES)
  serviceType!: ServiceType;
}

export class VerifyQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Also return the confirmed number masked (product VERIFY_MASKED).',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  maskMobile?: 'true' | 'false';
}

export class TransactionParamsDto {
  @ApiProperty({
    format: 'uuid',
    description: "The sdkSessionId of the enrichment (the Web SDK's transaction).",
  })
  @IsUUID()
  transactionId!: string;
}

export class EnrichmentQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Web variant: a UUID the Web SDK made, used as the session id; the backend later verifies with POST /v1/api/verify/{transactionId}.',
  })
  @IsOptional()
  @IsUUID()
  transactionId?: string;
}

export class OperatorParamsDto {
  @ApiProperty({ example: 'ZAIN_JO', pattern: OPERATOR_ID_PATTERN.source })
  @Matches(OPERATOR_ID_PATTERN, { message: 'operatorId must be an operator id such as ZAIN_JO' })
  operatorId!: string;
}
