import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDate,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { OptionalNotNull } from '../../../common/http/validation.js';
import { SERVICE_TYPES, type ServiceType } from '../../verification/dto/verify.dto.js';
import {
  ANOMALY_TYPES,
  DECISIONS,
  FACTOR_CODES,
  FACTORS,
  type AnomalyType,
  type Decision,
  type FactorCode,
} from '../intelligence-policy.js';

/** Declares optional integer properties in a loop (one per factor or anomaly), for validation and OpenAPI alike. */
function integerProperties(
  target: object,
  names: readonly string[],
  min: number,
  max: number,
  describe: (name: string) => string,
): void {
  for (const name of names) {
    const decorators = [
      ApiPropertyOptional({
        type: 'integer',
        minimum: min,
        maximum: max,
        description: describe(name),
      }),
      OptionalNotNull(),
      IsInt(),
      Min(min),
      Max(max),
    ];
    for (const decorate of decorators) decorate(target, name);
  }
}

@ApiSchema({
  name: 'PolicyWeights',
  description:
    'Risk points per factor code (negative lowers the risk); a code left out keeps its default.',
})
class PolicyWeightsDto {}
integerProperties(
  PolicyWeightsDto.prototype,
  FACTOR_CODES,
  -100,
  100,
  (code) => `${FACTORS[code as FactorCode].doc}. Default ${FACTORS[code as FactorCode].weight}.`,
);

@ApiSchema({ name: 'AnomalyScores', description: 'Points per Detect anomaly.' })
class AnomalyScoresDto {}
integerProperties(
  AnomalyScoresDto.prototype,
  ANOMALY_TYPES,
  0,
  100,
  (type) => `Points of ${type}.`,
);

@ApiSchema({
  name: 'PolicyThresholds',
  description:
    'riskScore at or above which the decision is CHALLENGE, REVIEW, BLOCK (challenge ≤ review ≤ block).',
})
export class PolicyThresholdsDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 101 })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(101)
  challenge?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 101 })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(101)
  review?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 101 })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(101)
  block?: number;
}

@ApiSchema({
  name: 'HardRule',
  description: 'When every factor is present, the decision is at least `decision`.',
})
export class HardRuleDto {
  @ApiProperty({ example: 'sim_swap_recent', pattern: '^[a-z0-9_]{1,50}$' })
  @IsString()
  @Matches(/^[a-z0-9_]{1,50}$/, {
    message: 'hardRules.id must be 1-50 characters of a-z, 0-9 and _',
  })
  id!: string;

  @ApiProperty({ enum: FACTOR_CODES, isArray: true, minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsIn(FACTOR_CODES, { each: true })
  factors!: FactorCode[];

  @ApiProperty({ enum: DECISIONS })
  @IsIn(DECISIONS)
  decision!: Decision;
}

const WINDOWED = {
  type: 'integer',
  isArray: true,
  minItems: 3,
  maxItems: 3,
  minimum: 1,
  description: 'Thresholds for [10 min, 1 h, 24 h].',
} as const;

@ApiSchema({ name: 'PolicyLimits' })
export class PolicyLimitsDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 2400,
    description: 'A SIM change younger than this is sim_swap_recent (default 24).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(2400)
  recentSimSwapHours?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 365,
    description:
      'A SIM change younger than this is sim_swap_week; older is sim_stable (default 7).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(365)
  simSwapWatchDays?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 2,
    maximum: 1000,
    description: 'Distinct numbers on one device within 1 h that make multi_account (default 3).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(2)
  @Max(1000)
  multiAccountNumbers?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 2,
    maximum: 1000,
    description:
      'Distinct devices of one number within 24 h that make number_many_devices (default 3).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(2)
  @Max(1000)
  numberDevices?: number;
  @ApiPropertyOptional({
    ...WINDOWED,
    description: 'Assessments of the number (default [5, 10, 30]).',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(3)
  @IsInt({ each: true })
  @Min(1, { each: true })
  velocityNumber?: [number, number, number];
  @ApiPropertyOptional({
    ...WINDOWED,
    description: 'Assessments of the device (default [10, 20, 50]).',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(3)
  @IsInt({ each: true })
  @Min(1, { each: true })
  velocityDevice?: [number, number, number];
  @ApiPropertyOptional({
    ...WINDOWED,
    description: 'Assessments of the IP (default [20, 50, 200]).',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(3)
  @IsInt({ each: true })
  @Min(1, { each: true })
  velocityIp?: [number, number, number];
  @ApiPropertyOptional({
    ...WINDOWED,
    description: 'Verify verdicts of the number (default [5, 10, 30]).',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(3)
  @IsInt({ each: true })
  @Min(1, { each: true })
  velocityVerifies?: [number, number, number];
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    description:
      'Negative verifies of the number within 1 h that make repeated_failures (default 3).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  repeatedFailures1h?: number;
}

@ApiSchema({
  name: 'DetectPolicy',
  description: 'anomalyScore at or above which Detect recommends MONITOR, CHALLENGE, BLOCK.',
})
export class DetectPolicyDto {
  @ApiPropertyOptional({ type: AnomalyScoresDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => AnomalyScoresDto)
  scores?: Partial<Record<AnomalyType, number>>;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 101 })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(101)
  monitor?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 101 })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(101)
  challenge?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 101 })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(101)
  block?: number;
}

/** A policy, or the part of one that differs from the service type's defaults (README "Default policy"). */
@ApiSchema({ name: 'IntelligencePolicy' })
export class PolicyDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 100,
    description: 'Risk before any factor (default 30).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(100)
  base?: number;

  @ApiPropertyOptional({ type: PolicyWeightsDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => PolicyWeightsDto)
  weights?: Partial<Record<FactorCode, number>>;

  @ApiPropertyOptional({ type: PolicyThresholdsDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => PolicyThresholdsDto)
  thresholds?: PolicyThresholdsDto;

  @ApiPropertyOptional({
    type: [HardRuleDto],
    description: 'Replaces the default hard rules when given (an empty list: none).',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => HardRuleDto)
  hardRules?: HardRuleDto[];

  @ApiPropertyOptional({
    enum: ['open', 'closed'],
    description: 'closed: an unknown SIM-swap status decides at least failClosedDecision.',
  })
  @OptionalNotNull()
  @IsIn(['open', 'closed'])
  simSwapFailMode?: 'open' | 'closed';

  @ApiPropertyOptional({ enum: DECISIONS })
  @OptionalNotNull()
  @IsIn(DECISIONS)
  failClosedDecision?: Decision;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 10,
    maximum: 86_400,
    description: 'How old a silent verification may be to count as sdkVerified (default 600 s).',
  })
  @OptionalNotNull()
  @IsInt()
  @Min(10)
  @Max(86_400)
  silentVerificationWindowSeconds?: number;

  @ApiPropertyOptional({ type: PolicyLimitsDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => PolicyLimitsDto)
  limits?: PolicyLimitsDto;

  @ApiPropertyOptional({ type: DetectPolicyDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => DetectPolicyDto)
  detect?: DetectPolicyDto;
}

@ApiSchema({ name: 'VersionedIntelligencePolicy' })
export class VersionedPolicyDto {
  @ApiProperty({ enum: SERVICE_TYPES })
  serviceType!: ServiceType;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: '0: the built-in default (no version stored yet).',
  })
  version!: number;

  @ApiProperty({ type: PolicyDto, description: 'The complete policy in force.' })
  policy!: PolicyDto;

  @ApiProperty({
    type: String,
    nullable: true,
    description: '`admin:<admin key id>` or `console_user:<user id>`; null for the default.',
  })
  createdBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  createdAt!: string | null;
}

/** One policy per service type: a fixed set, keyed by service type (not a list to page). */
@ApiSchema({
  name: 'IntelligencePolicies',
  description: 'The policy in force for each service type.',
})
export class PoliciesDto {}
for (const serviceType of SERVICE_TYPES) {
  ApiProperty({ type: VersionedPolicyDto })(PoliciesDto.prototype, serviceType);
}
export type PoliciesView = Record<ServiceType, VersionedPolicyDto>;

export class PolicyParamsDto {
  @ApiProperty({ example: 'cli_…' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  clientId!: string;

  @ApiProperty({ enum: SERVICE_TYPES })
  @IsIn(SERVICE_TYPES)
  serviceType!: ServiceType;
}

export class ClientIdParamsDto {
  @ApiProperty({ example: 'cli_…' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  clientId!: string;
}

@ApiSchema({ name: 'BacktestRequest' })
export class BacktestRequestDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'Start of the window (inclusive).',
  })
  @Type(() => Date)
  @IsDate()
  from!: Date;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'End of the window (exclusive); at most 93 days after from.',
  })
  @Type(() => Date)
  @IsDate()
  to!: Date;

  @ApiProperty({
    enum: SERVICE_TYPES,
    description: 'The journey whose assessments are replayed (a policy is per journey).',
  })
  @IsIn(SERVICE_TYPES)
  serviceType!: ServiceType;

  @ApiPropertyOptional({
    enum: ['TRUST', 'SHIELD', 'DETECT'],
    default: 'SHIELD',
    description: 'Whose answers are replayed; Detect compares recommended actions.',
  })
  @OptionalNotNull()
  @IsIn(['TRUST', 'SHIELD', 'DETECT'])
  product?: 'TRUST' | 'SHIELD' | 'DETECT';

  @ApiProperty({
    type: PolicyDto,
    description: 'The draft, over the service type’s defaults (like a stored policy).',
  })
  @ValidateNested()
  @Type(() => PolicyDto)
  draft!: PolicyDto;
}

@ApiSchema({ name: 'BacktestCell' })
export class BacktestCellDto {
  @ApiProperty({ description: 'The decision answered at the time.' })
  current!: string;

  @ApiProperty({ description: 'The decision under the draft.' })
  draft!: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  count!: number;

  @ApiProperty({
    type: [String],
    description: 'Up to 5 transaction ids of this cell, oldest first.',
  })
  examples!: string[];
}

@ApiSchema({ name: 'BacktestResult' })
export class BacktestResultDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ enum: SERVICE_TYPES }) serviceType!: ServiceType;
  @ApiProperty({ enum: ['TRUST', 'SHIELD', 'DETECT'] }) product!: 'TRUST' | 'SHIELD' | 'DETECT';
  @ApiProperty({ type: 'integer', description: 'Assessments replayed.' }) total!: number;
  @ApiProperty({ type: 'integer', description: 'Assessments whose decision the draft changes.' })
  changed!: number;
  @ApiProperty({
    type: [Number],
    description: 'Policy versions the replayed assessments were answered under.',
  })
  currentVersions!: number[];
  @ApiProperty({
    type: [BacktestCellDto],
    description:
      'Current × draft decisions; only cells with assessments, ordered by current then draft severity.',
  })
  matrix!: BacktestCellDto[];
  @ApiProperty({ type: PolicyDto, description: 'The complete draft policy that was applied.' })
  draftPolicy!: PolicyDto;
}
