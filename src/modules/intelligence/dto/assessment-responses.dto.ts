import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import {
  ANOMALY_TYPES,
  DECISIONS,
  DETECT_ACTIONS,
  FACTOR_CODES,
  type AnomalyType,
  type Decision,
  type DetectAction,
  type RiskLevel,
} from '../intelligence-policy.js';

const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const SCORE = { type: 'integer', minimum: 0, maximum: 100 } as const;

@ApiSchema({
  name: 'TrustBreakdown',
  description:
    'Trust per signal group, 0–100 (higher = more trustworthy): 70 minus the group’s risk points.',
})
export class TrustBreakdownDto {
  @ApiProperty(SCORE) network_score!: number;
  @ApiProperty(SCORE) device_score!: number;
  @ApiProperty(SCORE) sim_score!: number;
  @ApiProperty(SCORE) verification_score!: number;
  @ApiProperty(SCORE) behaviour_score!: number;
}

@ApiSchema({ name: 'TrustScoreData' })
export class TrustScoreDataDto {
  @ApiProperty({ example: 'TR-6f1c2a0e-…', pattern: '^TR-' })
  transactionId!: string;

  @ApiProperty({ ...SCORE, description: 'Higher = more trustworthy (100 − the risk score).' })
  trustScore!: number;

  @ApiProperty({
    enum: ['HIGH', 'MEDIUM', 'LOW'],
    description:
      'How many of the main signals were known (SIM swap, SDK session, device, IP country, connection type).',
  })
  confidence!: 'HIGH' | 'MEDIUM' | 'LOW';

  @ApiProperty({ enum: DECISIONS })
  recommendation!: Decision;

  @ApiProperty({ enum: FACTOR_CODES, isArray: true, description: 'Factors that raised trust.' })
  positiveFactors!: string[];

  @ApiProperty({ enum: FACTOR_CODES, isArray: true, description: 'Factors that lowered trust.' })
  riskFactors!: string[];

  @ApiProperty({ type: TrustBreakdownDto })
  breakdown!: TrustBreakdownDto;

  @ApiProperty({ type: String, nullable: true, description: 'The request’s metadataId, echoed.' })
  metadataId!: string | null;
}

@ApiSchema({ name: 'ShieldAssessmentData' })
export class ShieldAssessmentDataDto {
  @ApiProperty({ enum: DECISIONS, description: 'A BLOCK is a 200 like any other decision.' })
  decision!: Decision;

  @ApiProperty({ ...SCORE, description: 'Higher = riskier.' })
  riskScore!: number;

  @ApiProperty({ enum: RISK_LEVELS })
  riskLevel!: RiskLevel;

  @ApiProperty({
    enum: FACTOR_CODES,
    isArray: true,
    description: 'The risk factors, strongest first.',
  })
  reasonCodes!: string[];

  @ApiProperty({
    description:
      'A positive silent verification of this number in this sdkSessionId within the policy’s window.',
  })
  sdkVerified!: boolean;

  @ApiProperty({ enum: ['STABLE', 'INCONSISTENT', 'UNKNOWN'] })
  deviceConsistencyLevel!: 'STABLE' | 'INCONSISTENT' | 'UNKNOWN';

  @ApiProperty({ enum: ['STABLE', 'CHANGED', 'UNKNOWN'] })
  operatorConsistencyLevel!: 'STABLE' | 'CHANGED' | 'UNKNOWN';

  @ApiProperty({ example: 'SH-6f1c2a0e-…', pattern: '^SH-' })
  transactionId!: string;
}

@ApiSchema({ name: 'DetectAnomaly' })
export class DetectAnomalyDto {
  @ApiProperty({ enum: ANOMALY_TYPES })
  type!: AnomalyType;

  @ApiProperty({
    type: 'integer',
    description: 'The count that reached the threshold (GEO_SHIFT: 1).',
  })
  observed!: number;

  @ApiProperty({ type: 'integer' })
  threshold!: number;

  @ApiProperty({ enum: ['10m', '1h', '24h'] })
  window!: '10m' | '1h' | '24h';

  @ApiProperty({ type: 'integer', description: 'Points this anomaly adds to anomalyScore.' })
  points!: number;
}

@ApiSchema({
  name: 'DetectWindowStats',
  description: 'Counts within one window, the current request included.',
})
export class DetectWindowStatsDto {
  @ApiProperty({ type: 'integer' }) numberAssessments!: number;
  @ApiProperty({ type: 'integer' }) deviceAssessments!: number;
  @ApiProperty({ type: 'integer' }) ipAssessments!: number;
  @ApiProperty({ type: 'integer', description: 'Verify verdicts of the number.' })
  numberVerifies!: number;
  @ApiProperty({ type: 'integer', description: 'Negative verify verdicts of the number.' })
  numberFailedVerifies!: number;
  @ApiProperty({ type: 'integer', description: 'Distinct numbers used on the device.' })
  numbersOnDevice!: number;
  @ApiProperty({ type: 'integer', description: 'Distinct devices the number was used on.' })
  devicesOnNumber!: number;
}

@ApiSchema({ name: 'DetectWindows' })
export class DetectWindowsDto {
  @ApiProperty({ type: DetectWindowStatsDto, name: '10m' }) '10m'!: DetectWindowStatsDto;
  @ApiProperty({ type: DetectWindowStatsDto, name: '1h' }) '1h'!: DetectWindowStatsDto;
  @ApiProperty({ type: DetectWindowStatsDto, name: '24h' }) '24h'!: DetectWindowStatsDto;
}

@ApiSchema({ name: 'DetectAnalysisData' })
export class DetectAnalysisDataDto {
  @ApiProperty({ type: [DetectAnomalyDto] })
  anomalies!: DetectAnomalyDto[];

  @ApiProperty({ enum: DETECT_ACTIONS })
  recommendedAction!: DetectAction;

  @ApiProperty({ enum: RISK_LEVELS })
  riskLevel!: RiskLevel;

  @ApiProperty({ ...SCORE, description: 'Sum of the anomalies’ points, at most 100.' })
  anomalyScore!: number;

  @ApiProperty({
    type: 'integer',
    description:
      'Accounts linked to this one: distinct numbers on the device or devices of the number within 24 h, whichever is more.',
  })
  affectedCount!: number;

  @ApiProperty({ type: DetectWindowsDto })
  windowStats!: DetectWindowsDto;

  @ApiProperty({ example: 'DE-6f1c2a0e-…', pattern: '^DE-' })
  transactionId!: string;
}
