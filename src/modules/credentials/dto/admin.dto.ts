import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
} from 'class-validator';
import { CLIENT_PRODUCTS, type ClientProduct } from '../../../common/auth/caller.js';
import { OptionalNotNull } from '../../../common/http/validation.js';
import { IsBrowserOrigin, MAX_ALLOWED_ORIGINS } from '../allowed-origins.js';

/** Browser origins whose pages may use the client's SDK tokens (CORS on the device-side endpoints). */
function AllowedOrigins(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      maxItems: MAX_ALLOWED_ORIGINS,
      example: ['https://bank.example'],
      description:
        'Origins of the pages that may run the Web SDK with this client (exact, as browsers send them: https://host[:port]). LIVE clients: https only. Empty = no browser page.',
    }),
    OptionalNotNull(),
    IsArray(),
    ArrayMaxSize(MAX_ALLOWED_ORIGINS),
    ArrayUnique(),
    Validate(IsBrowserOrigin, { each: true }),
  );
}

export class CreateClientDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ enum: ['SANDBOX', 'LIVE'], default: 'SANDBOX' })
  @OptionalNotNull()
  @IsIn(['SANDBOX', 'LIVE'])
  environment?: 'SANDBOX' | 'LIVE';

  @ApiProperty({ enum: CLIENT_PRODUCTS, isArray: true })
  @IsArray()
  @ArrayUnique()
  @IsIn(CLIENT_PRODUCTS, { each: true })
  products!: ClientProduct[];

  @ApiPropertyOptional({
    description: 'Requests per minute (default DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  rateLimitPerMinute?: number;

  @AllowedOrigins()
  allowedOrigins?: string[];
}

export class UpdateClientDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ enum: CLIENT_PRODUCTS, isArray: true })
  @OptionalNotNull()
  @IsArray()
  @ArrayUnique()
  @IsIn(CLIENT_PRODUCTS, { each: true })
  products?: ClientProduct[];

  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @OptionalNotNull()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  rateLimitPerMinute?: number;

  @AllowedOrigins()
  allowedOrigins?: string[];
}

export class IssueCredentialDto {
  @ApiProperty({ enum: ['api_key', 'client_secret', 'jwt_key'] })
  @IsIn(['api_key', 'client_secret', 'jwt_key'])
  kind!: 'api_key' | 'client_secret' | 'jwt_key';
}

export class RotateCredentialDto {
  @ApiPropertyOptional({
    description:
      'How long the replaced credential keeps working; default CREDENTIAL_GRACE_PERIOD_SECONDS, 0 = immediately.',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  gracePeriodSeconds?: number;
}

export class CreateAdminKeyDto {
  @ApiProperty({ enum: ['admin', 'auditor'] })
  @IsIn(['admin', 'auditor'])
  role!: 'admin' | 'auditor';
}

export class BootstrapAdminDto {
  @ApiProperty({ description: 'The value of ADMIN_BOOTSTRAP_SECRET.', writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  secret!: string;
}
