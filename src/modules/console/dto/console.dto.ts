import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CAMARA_PHONE_NUMBER } from '../../../common/phone/phone-number.js';
import { AuditPageDto, AuditRangeDto } from '../../audit/dto/audit-query.dto.js';

const CODE = /^(\d{6})?$/;

export class SignInDto {
  @ApiProperty({ example: 'ada@bank.example' })
  @IsString()
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;

  @ApiPropertyOptional({
    description: 'Six-digit authentication code (required when the account has a second factor).',
  })
  @IsOptional()
  @Matches(CODE, { message: 'code must be six digits' })
  code?: string;
}

export class InvitationTokenDto {
  @ApiProperty()
  @IsString()
  @MaxLength(100)
  token!: string;
}

export class AcceptInvitationDto extends InvitationTokenDto {
  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsString()
  @MaxLength(256)
  password!: string;

  @ApiPropertyOptional({
    description:
      'A code from the authenticator app enrolled with the invitation’s secret (required for admins and auditors).',
  })
  @IsOptional()
  @Matches(CODE, { message: 'code must be six digits' })
  code?: string;
}

export class TotpCodeDto {
  @ApiProperty()
  @Matches(/^\d{6}$/, { message: 'code must be six digits' })
  code!: string;
}

export class ChangePasswordDto {
  @ApiProperty() @IsString() @MaxLength(256) currentPassword!: string;
  @ApiProperty() @IsString() @MaxLength(256) newPassword!: string;
}

export class InviteUserDto {
  @ApiProperty()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ enum: ['admin', 'auditor', 'client'] })
  @IsIn(['admin', 'auditor', 'client'])
  role!: 'admin' | 'auditor' | 'client';

  @ApiPropertyOptional({
    description: 'For a client user: the client, or one SANDBOX and one LIVE client.',
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  clientIds?: string[];
}

export class ClientCredentialKindDto {
  @ApiProperty({ enum: ['api_key', 'jwt_key', 'client_secret'] })
  @IsIn(['api_key', 'jwt_key', 'client_secret'])
  kind!: 'api_key' | 'jwt_key' | 'client_secret';
}

export class ClientHistoryQueryDto extends IntersectionType(AuditRangeDto, AuditPageDto) {
  @ApiPropertyOptional({ example: 'verify' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;
  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';
}

export class ClientLedgerQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class SandboxNumberChangeDto {
  @ApiProperty({ example: '+31612345007' })
  @Matches(CAMARA_PHONE_NUMBER, { message: 'phoneNumber must be in E.164 format with a leading +' })
  phoneNumber!: string;
}

export class SetSandboxNumberDto extends SandboxNumberChangeDto {
  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: 'latestSimChange must be an RFC 3339 date-time or null',
  })
  latestSimChange?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: 'latestDeviceChange must be an RFC 3339 date-time or null',
  })
  latestDeviceChange?: string | null;
}

export class PolicyVersionsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
