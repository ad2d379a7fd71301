import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { PageOf } from '../../../common/openapi/api-docs.decorators.js';
import type { OperatorAdapterKind, OperatorView, SwapEventSource } from '../operators.service.js';
import { parseRange } from '../../../common/net/trusted-ranges.js';
import { OptionalNotNull } from '../../../common/http/validation.js';

export const ADAPTER_KIND_NAMES = ['sandbox', 'upstream', 'camara'] as const;
const OPERATOR_ID = /^[A-Z0-9_]{2,40}$/;
const PREFIX = /^\+[1-9]\d{0,14}$/;
// An HTTP header name (RFC 9110 token), as operators' proxies inject it.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** Each entry a CIDR range or a single IPv4/IPv6 address. */
function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseRange(value) !== undefined,
        defaultMessage: () => 'each trusted range must be a CIDR range such as 10.20.0.0/16',
      },
    },
    options,
  );
}

/** Settings hold no secrets: those go through PUT …/secrets/{name}, encrypted at rest. */
function HasNoSecrets(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoSecrets',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          // An address is no secret: a camara operator's `tokenUrl` must pass.
          !Object.keys(value).some(
            (key) => /secret|password|api_?key|token/i.test(key) && !/Url$/.test(key),
          ),
        defaultMessage: () =>
          'settings must not hold secrets; store them with PUT /admin/v1/operators/{id}/secrets/{name}',
      },
    },
    options,
  );
}

export class CreateOperatorDto {
  @ApiProperty({ example: 'ZAIN_JO' })
  @Matches(OPERATOR_ID, { message: 'id must be 2-40 characters of A-Z, 0-9 and _' })
  id!: string;

  @ApiProperty({ example: 'Zain Jordan' })
  @IsString()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'JO' })
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country!: string;

  @ApiProperty({ example: ['+96279'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(PREFIX, { each: true, message: 'each number prefix must look like +96279' })
  numberPrefixes!: string[];

  @ApiPropertyOptional({ example: 'x-msisdn' })
  @OptionalNotNull()
  @Matches(HEADER_NAME, { message: 'enrichmentHeader must be an HTTP header name' })
  enrichmentHeader?: string;

  @ApiPropertyOptional({ example: ['10.20.0.0/16'] })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(500)
  @IsCidr({ each: true })
  trustedRanges?: string[];

  @ApiPropertyOptional({ enum: ADAPTER_KIND_NAMES, default: 'sandbox' })
  @OptionalNotNull()
  @IsIn(ADAPTER_KIND_NAMES)
  adapterKind?: (typeof ADAPTER_KIND_NAMES)[number];

  @ApiPropertyOptional({
    example: { baseUrl: 'https://upstream.example', clientId: 'cli_…' },
    description:
      'Adapter settings, never secrets. A `camara` operator that offers CAMARA SIM Swap Subscriptions 0.3 says `simSwapSubscriptions: true` (default false: polled).',
  })
  @OptionalNotNull()
  @IsObject()
  @HasNoSecrets()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3650 })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(3650)
  monitoredPeriodDays?: number;

  @ApiPropertyOptional({ default: true })
  @OptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

/** Every field optional; `id` cannot change. */
export class UpdateOperatorDto {
  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(200) name?: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country?: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(PREFIX, { each: true, message: 'each number prefix must look like +96279' })
  numberPrefixes?: string[];

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Matches(HEADER_NAME, { message: 'enrichmentHeader must be an HTTP header name' })
  enrichmentHeader?: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(500)
  @IsCidr({ each: true })
  trustedRanges?: string[];

  @ApiPropertyOptional({ enum: ADAPTER_KIND_NAMES })
  @OptionalNotNull()
  @IsIn(ADAPTER_KIND_NAMES)
  adapterKind?: (typeof ADAPTER_KIND_NAMES)[number];

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsObject()
  @HasNoSecrets()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3650 })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(3650)
  monitoredPeriodDays?: number;

  @ApiPropertyOptional() @OptionalNotNull() @IsBoolean() enabled?: boolean;
}

export class OperatorParamsDto {
  @ApiProperty({ example: 'ZAIN_JO', pattern: OPERATOR_ID.source })
  @Matches(OPERATOR_ID, { message: 'id must be an operator id' })
  id!: string;
}

export class OperatorSecretParamsDto {
  @ApiProperty({ example: 'ZAIN_JO', pattern: OPERATOR_ID.source })
  @Matches(OPERATOR_ID, { message: 'id must be an operator id' })
  id!: string;

  @ApiProperty({ example: 'apiKey', pattern: '^[A-Za-z][A-Za-z0-9_]{0,49}$' })
  @Matches(/^[A-Za-z][A-Za-z0-9_]{0,49}$/, { message: 'name must be a secret name such as apiKey' })
  name!: string;
}

export class OperatorSecretDto {
  @ApiProperty({ description: 'Stored encrypted; never returned.' })
  @IsString()
  @MaxLength(4096)
  @Matches(/\S/, { message: 'value must not be blank' })
  value!: string;
}

const SWAP_EVENT_SOURCES = [
  'sandbox_override',
  'upstream_subscription',
  'polling',
  'none',
] as const;

@ApiSchema({ name: 'OperatorSwapEvents' })
export class SwapEventsDto {
  @ApiProperty({ enum: SWAP_EVENT_SOURCES })
  sim!: SwapEventSource;

  @ApiProperty({
    enum: SWAP_EVENT_SOURCES,
    description: 'CAMARA defines no device-swap subscriptions: never upstream_subscription.',
  })
  device!: SwapEventSource;
}

@ApiSchema({ name: 'Operator' })
export class OperatorDto implements OperatorView {
  @ApiProperty({ example: 'ZAIN_JO' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ example: 'JO', description: 'ISO 3166-1 alpha-2.' })
  country!: string;

  @ApiProperty({ type: [String], example: ['+96279'] })
  numberPrefixes!: string[];

  @ApiProperty({ type: String, nullable: true, example: 'x-msisdn' })
  enrichmentHeader!: string | null;

  @ApiProperty({ type: [String], example: ['10.20.0.0/16'] })
  trustedRanges!: string[];

  @ApiProperty({ enum: ADAPTER_KIND_NAMES })
  adapterKind!: OperatorAdapterKind;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Adapter settings; never secrets.',
  })
  settings!: Record<string, unknown>;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Days of swap history the operator may keep; null = unlimited.',
  })
  monitoredPeriodDays!: number | null;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({
    type: SwapEventsDto,
    description:
      'Where swap events of its numbers come from (README "Where events come from"): a `camara` operator with `settings.simSwapSubscriptions: true` is subscribed to upstream (when PUSH_UPSTREAM_RECEIVER_URL is set), any other `camara` operator is polled.',
  })
  swapEvents!: SwapEventsDto;
}

export const OperatorPageDto = PageOf(OperatorDto, 'OperatorPage');
