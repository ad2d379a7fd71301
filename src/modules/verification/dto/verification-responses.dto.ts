import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  CLIENT_PRODUCTS,
  type ClientEnvironment,
  type ClientProduct,
} from '../../../common/auth/caller.js';
import { PageOf } from '../../../common/openapi/api-docs.decorators.js';
import type { BalanceHistoryEntry, BalanceView } from '../balance.service.js';
import type { EnrichmentData } from '../enrichment.service.js';
import type { VerifyData } from '../verification.service.js';

@ApiSchema({ name: 'EnrichmentData' })
export class EnrichmentDataDto implements EnrichmentData {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The proof (a compact JWE, opaque), sent back as `encryptedMobileNumber`; null when nobody was identified (a WARNING `sdk_no_he_result`).',
  })
  authmatechCode!: string | null;

  @ApiProperty({ example: 'ZAIN_JO', description: 'The operator that was asked.' })
  MNOID!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'The enrichment session; the web verify variant takes it as transactionId.',
  })
  sdkSessionId!: string;
}

@ApiSchema({ name: 'SdkSessionData' })
export class SdkSessionDataDto {
  @ApiProperty()
  sdkSessionId!: string;
}

@ApiSchema({ name: 'VerifyData' })
export class VerifyDataDto implements VerifyData {
  @ApiProperty({
    description: 'True only when the proof proves this number for this client (README "Verify").',
  })
  validNumber!: boolean;

  @ApiPropertyOptional({
    example: '**********67',
    description:
      'With maskMobile=true (product VERIFY_MASKED) and a positive verdict: the number, every digit but the last two masked.',
  })
  maskedMobileNumber?: string;
}

@ApiSchema({ name: 'Balance' })
export class BalanceDto implements BalanceView {
  @ApiProperty({ type: 'integer', minimum: 0 })
  credits!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the whole balance expires; null = never.',
  })
  expiresAt!: string | null;

  @ApiProperty()
  expired!: boolean;
}

@ApiSchema({ name: 'ClientBalance' })
export class ClientBalanceDto extends BalanceDto {
  @ApiProperty()
  clientId!: string;
}

@ApiSchema({ name: 'ProductsData' })
export class ProductsDataDto {
  @ApiProperty()
  clientId!: string;

  @ApiProperty({ enum: ['SANDBOX', 'LIVE'] })
  environment!: ClientEnvironment;

  @ApiProperty({ enum: CLIENT_PRODUCTS, isArray: true })
  products!: ClientProduct[];

  @ApiProperty({ description: 'SANDBOX clients are never charged.' })
  charged!: boolean;

  @ApiProperty({ type: BalanceDto })
  balance!: BalanceDto;
}

@ApiSchema({ name: 'BalanceHistoryEntry' })
class BalanceHistoryEntryDto implements BalanceHistoryEntry {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ enum: ['TOP_UP', 'VERIFY', 'REFUND', 'ASSESSMENT'] })
  kind!: 'TOP_UP' | 'VERIFY' | 'REFUND' | 'ASSESSMENT';

  @ApiProperty({ type: 'integer', description: 'Credits added (positive) or taken (negative).' })
  change!: number;

  @ApiProperty({ type: 'integer' })
  balanceAfter!: number;
}

export const BalanceHistoryPageDto = PageOf(BalanceHistoryEntryDto, 'BalanceHistoryPage');
