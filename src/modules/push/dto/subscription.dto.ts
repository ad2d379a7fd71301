import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AcceptsUnknownFields, OptionalNotNull } from '../../../common/http/validation.js';
import { CAMARA_PHONE_NUMBER } from '../../../common/phone/phone-number.js';
import { PushCodes } from '../push.errors.js';

/** CloudEvents types (CAMARA SIM Swap Subscriptions 0.3.0; the device ones are this gateway's extension). */
export const EventTypes = {
  sim: {
    swapped: 'org.camaraproject.sim-swap-subscriptions.v0.swapped',
    ended: 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ended',
  },
  device: {
    swapped: 'org.camaraproject.device-swap-subscriptions.v0.swapped',
    ended: 'org.camaraproject.device-swap-subscriptions.v0.subscription-ended',
  },
} as const;

const SUBSCRIPTION_STATUSES = [
  'ACTIVATION_REQUESTED',
  'ACTIVE',
  'EXPIRED',
  'INACTIVE',
  'DELETED',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

@AcceptsUnknownFields()
export class SubscriptionDetailDto {
  @ApiPropertyOptional({
    type: String,
    example: '+346661113334',
    pattern: CAMARA_PHONE_NUMBER.source,
    description:
      "The number whose swaps are notified, E.164 with a leading +. Required with this gateway's two-legged tokens (else 422 MISSING_IDENTIFIER).",
  })
  @OptionalNotNull()
  @IsString()
  @Matches(CAMARA_PHONE_NUMBER, { message: 'phoneNumber must be in E.164 format with a leading +' })
  phoneNumber?: string;
}

@AcceptsUnknownFields()
export class SubscriptionConfigDto {
  @ApiProperty({ type: SubscriptionDetailDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SubscriptionDetailDto)
  subscriptionDetail!: SubscriptionDetailDto;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-12-31T12:00:00Z',
    description:
      'When the subscription ends (then `subscription-ended` with SUBSCRIPTION_EXPIRED). Must be in the future.',
  })
  @OptionalNotNull()
  @IsDateString(
    { strict: true },
    { message: 'subscriptionExpireTime must be an RFC 3339 date-time' },
  )
  subscriptionExpireTime?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 5,
    description:
      'Events after which the subscription ends (then `subscription-ended` with MAX_EVENTS_REACHED).',
  })
  @OptionalNotNull()
  @IsInt({ message: 'subscriptionMaxEvents must be an integer' })
  @Min(1, { message: 'subscriptionMaxEvents must be at least 1' })
  subscriptionMaxEvents?: number;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'Accepted for compatibility; no initial event is sent.',
  })
  @OptionalNotNull()
  @IsBoolean()
  initialEvent?: boolean;
}

@AcceptsUnknownFields()
@ApiSchema({ name: 'AccessTokenCredential' })
export class SinkCredentialDto {
  @ApiProperty({
    enum: ['ACCESSTOKEN'],
    description: 'Only ACCESSTOKEN is supported (else 400 INVALID_CREDENTIAL).',
  })
  @IsIn(['ACCESSTOKEN'], {
    message: 'credentialType must be ACCESSTOKEN',
    context: { code: PushCodes.invalidCredential },
  })
  credentialType!: 'ACCESSTOKEN';

  @ApiProperty({
    type: String,
    description:
      'Sent as `Authorization: Bearer …` with every event. Stored encrypted, never returned.',
  })
  @IsString({ context: { code: PushCodes.invalidCredential } })
  @MaxLength(4096, { context: { code: PushCodes.invalidCredential } })
  @Matches(/^[\x21-\x7e]+$/, {
    message: 'accessToken must be printable ASCII without spaces',
    context: { code: PushCodes.invalidCredential },
  })
  accessToken!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description:
      'When the access token expires; the subscription ends (ACCESS_TOKEN_EXPIRED) then.',
  })
  @IsDateString(
    { strict: true },
    {
      message: 'accessTokenExpiresUtc must be an RFC 3339 date-time',
      context: { code: PushCodes.invalidCredential },
    },
  )
  accessTokenExpiresUtc!: string;

  @ApiProperty({
    enum: ['bearer'],
    description: 'Only bearer is supported (else 400 INVALID_TOKEN).',
  })
  @IsIn(['bearer'], {
    message: 'accessTokenType must be bearer',
    context: { code: PushCodes.invalidToken },
  })
  accessTokenType!: 'bearer';
}

/** Fields in the order and spelling of CAMARA's `SubscriptionRequest`. */
@AcceptsUnknownFields()
export class SubscriptionRequestDto {
  @ApiProperty({
    enum: ['HTTP'],
    description: 'Only HTTP is supported (else 400 INVALID_PROTOCOL).',
  })
  @IsIn(['HTTP'], {
    message: 'protocol must be HTTP',
    context: { code: PushCodes.invalidProtocol },
  })
  protocol!: 'HTTP';

  @ApiProperty({
    type: String,
    format: 'uri',
    example: 'https://bank.example/webhooks/sim-swap',
    description:
      'Where events are POSTed: https, on a public address (400 INVALID_SINK otherwise). Outside production, plain http to a loopback host the operator allowed (PUSH_SINK_ALLOWED_HOSTS) is accepted for local testing.',
  })
  @IsString({ context: { code: PushCodes.invalidSink } })
  @MaxLength(2048, { context: { code: PushCodes.invalidSink } })
  sink!: string;

  @ApiPropertyOptional({ type: SinkCredentialDto })
  @OptionalNotNull()
  @IsObject({ context: { code: PushCodes.invalidCredential } })
  @ValidateNested()
  @Type(() => SinkCredentialDto)
  sinkCredential?: SinkCredentialDto;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: 1,
    description: 'Exactly one type: the swapped event of this API.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1)
  @IsString({ each: true })
  types!: string[];

  @ApiProperty({ type: SubscriptionConfigDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SubscriptionConfigDto)
  config!: SubscriptionConfigDto;
}

@ApiSchema({ name: 'SimSwapSubscriptionRequest' })
export class SimSwapSubscriptionRequestDto extends SubscriptionRequestDto {}

@ApiSchema({ name: 'DeviceSwapSubscriptionRequest' })
export class DeviceSwapSubscriptionRequestDto extends SubscriptionRequestDto {}

export class SubscriptionDetailViewDto {
  @ApiProperty({ type: String, example: '+346661113334' })
  phoneNumber!: string;
}

export class SubscriptionConfigViewDto {
  @ApiProperty({ type: SubscriptionDetailViewDto })
  subscriptionDetail!: SubscriptionDetailViewDto;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  subscriptionExpireTime?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  subscriptionMaxEvents?: number;
}

/** CAMARA's `Subscription`: the request as accepted (never its sinkCredential) plus id, times and status. */
export class SubscriptionViewDto {
  @ApiProperty({ enum: ['HTTP'] })
  protocol!: 'HTTP';

  @ApiProperty({ type: String, format: 'uri' })
  sink!: string;

  @ApiProperty({ type: [String] })
  types!: string[];

  @ApiProperty({ type: SubscriptionConfigViewDto })
  config!: SubscriptionConfigViewDto;

  @ApiProperty({
    type: String,
    format: 'uuid',
    description: 'The subscription id; events carry it as `data.subscriptionId`.',
  })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  startsAt!: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  expiresAt?: string;

  @ApiProperty({
    enum: SUBSCRIPTION_STATUSES,
    description: 'ACTIVATION_REQUESTED → ACTIVE → EXPIRED | DELETED | INACTIVE.',
  })
  status!: SubscriptionStatus;
}

@ApiSchema({ name: 'SimSwapSubscription' })
export class SimSwapSubscriptionDto extends SubscriptionViewDto {}

@ApiSchema({ name: 'DeviceSwapSubscription' })
export class DeviceSwapSubscriptionDto extends SubscriptionViewDto {}
