import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { authmatechSuccess } from '../../common/http/authmatech-envelope.js';
import { errorBody } from '../../common/http/error-envelope.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { BalanceService } from '../verification/balance.service.js';
import type { ServiceType } from '../verification/dto/verify.dto.js';
import type { AssessmentRequestDto } from './dto/assessment-request.dto.js';
import type {
  DetectAnalysisDataDto,
  ShieldAssessmentDataDto,
  TrustScoreDataDto,
} from './dto/assessment-responses.dto.js';
import {
  breakdownOf,
  confidenceOf,
  detect,
  evaluate,
  riskLevelOf,
  type DetectEvaluation,
  type Evaluation,
} from './intelligence-policy.js';
import { WINDOW_NAMES, type Signals } from './intelligence-signals.js';
import { insufficientBalance, IntelligenceCodes } from './intelligence.errors.js';
import { ASSESSMENTS } from './intelligence.repository.js';
import { PoliciesService } from './policies.service.js';
import { SignalsService } from './signals.service.js';

export type AssessmentProduct = 'trust' | 'shield' | 'detect';

const PREFIX: Record<AssessmentProduct, string> = { trust: 'TR', shield: 'SH', detect: 'DE' };
const ACTION: Record<AssessmentProduct, string> = {
  trust: 'trust.score',
  shield: 'shield.assess',
  detect: 'detect.analyze',
};

// What a repeat with the same Idempotency-Key is answered when the unit found no credit.
const NO_CREDIT_ERROR = insufficientBalance();
const NO_CREDIT_BODY = errorBody(
  'authmatech',
  400,
  NO_CREDIT_ERROR.codeFor('authmatech'),
  NO_CREDIT_ERROR.message,
);

/**
 * Trust, Shield and Detect: one pipeline. Signals are collected (SignalsService), the client's
 * policy for the journey is applied (a pure function, the same the backtest runs), and the
 * assessment row, the credit of a LIVE client and the audit event commit as one unit of work.
 */
@Injectable()
export class IntelligenceService {
  constructor(
    private readonly signals: SignalsService,
    private readonly policies: PoliciesService,
    private readonly balances: BalanceService,
    private readonly requests: RequestAudit,
    private readonly clock: Clock,
  ) {}

  trust(
    ctx: RequestContext,
    client: AuthenticatedClient,
    body: AssessmentRequestDto,
  ): Promise<TrustScoreDataDto> {
    return this.assess(ctx, client, 'trust', body, ({ transactionId, signals, evaluation }) =>
      trustAnswer(transactionId, signals, evaluation, body),
    );
  }

  shield(
    ctx: RequestContext,
    client: AuthenticatedClient,
    body: AssessmentRequestDto,
  ): Promise<ShieldAssessmentDataDto> {
    return this.assess(ctx, client, 'shield', body, ({ transactionId, evaluation }) =>
      shieldAnswer(transactionId, evaluation),
    );
  }

  detect(
    ctx: RequestContext,
    client: AuthenticatedClient,
    body: AssessmentRequestDto,
  ): Promise<DetectAnalysisDataDto> {
    return this.assess(ctx, client, 'detect', body, ({ transactionId, signals, detection }) =>
      detectAnswer(transactionId, signals, detection),
    );
  }

  /**
   * One assessment: signals, policy, and the unit of work. The answer is shaped before the commit,
   * because it is stored with the unit for a repeat with the same Idempotency-Key.
   */
  private async assess<T>(
    ctx: RequestContext,
    client: AuthenticatedClient,
    product: AssessmentProduct,
    body: AssessmentRequestDto,
    answerOf: (assessed: {
      transactionId: string;
      signals: Signals;
      evaluation: Evaluation;
      detection: DetectEvaluation;
    }) => T,
  ): Promise<T> {
    const serviceType: ServiceType = body.serviceType ?? 'LOGIN';
    Object.assign(ctx.audit, {
      action: ACTION[product],
      serviceType,
      phoneNumber: body.mobileNumber,
    });
    if (body.sdkSessionId !== undefined)
      ctx.audit.detail = { ...ctx.audit.detail, sdkSessionId: body.sdkSessionId };

    // Refused before any signal is collected: a LIVE client without credit never spends an
    // operator's SIM-swap lookup (a product it lacks is refused earlier, by its guard). The unit
    // of work below still decides, as a credit may be spent meanwhile.
    if (client.environment === 'LIVE' && !(await this.balances.hasCredit(client.clientId)))
      throw insufficientBalance();
    const [{ signals, keys }, policy] = await Promise.all([
      this.signals.collect(ctx, client, serviceType, body),
      this.policies.activePolicy(client.clientId, serviceType),
    ]);
    const evaluation = evaluate(signals, policy.policy);
    const detection = detect(signals, policy.policy);
    const transactionId = `${PREFIX[product]}-${randomUUID()}`;
    const decision = product === 'detect' ? detection.recommendedAction : evaluation.decision;
    const score = product === 'detect' ? detection.anomalyScore : evaluation.riskScore;
    const factors =
      product === 'detect'
        ? detection.anomalies.map((anomaly) => anomaly.type)
        : evaluation.factors.map((factor) => factor.code);
    // What the trail keeps: the decision, the policy version and the factor codes; never an identifier.
    const verdict = {
      transactionId,
      decision,
      score,
      policyVersion: policy.version,
      factors,
      ...(product === 'detect' ? {} : { rules: evaluation.rules }),
    };
    const answer = answerOf({ transactionId, signals, evaluation, detection });
    const outcome = await this.requests.commit(ctx, {
      claims: { debit: this.balances.debitOf(client, 'assessment') },
      writes: [
        {
          kind: ASSESSMENTS,
          row: {
            id: randomUUID(),
            transaction_id: transactionId,
            client_id: client.clientId,
            product,
            service_type: serviceType,
            phone_hash: keys.phoneHash,
            device_hash: keys.deviceHash,
            ip_hash: keys.ipHash,
            operator_id: keys.operatorId,
            country_code: keys.countryCode,
            signals,
            factors,
            score,
            decision,
            policy_version: policy.version,
            created_at: this.clock.now().toISOString(),
          },
        },
      ],
      ok: { status: 200, verdict, body: authmatechSuccess(answer) },
      no_credit: {
        status: 400,
        errorCode: IntelligenceCodes.insufficientBalance,
        body: NO_CREDIT_BODY,
      },
    });
    if (outcome === 'no_credit') throw insufficientBalance();
    return answer;
  }
}

/** Risk factors, strongest first (ties in the documented order). */
function riskFactors(evaluation: Evaluation): string[] {
  return evaluation.factors
    .filter((factor) => factor.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .map((factor) => factor.code);
}

/** The Trust answer (Authmatech's shape) of one assessment. */
function trustAnswer(
  transactionId: string,
  signals: Signals,
  evaluation: Evaluation,
  body: AssessmentRequestDto,
): TrustScoreDataDto {
  const breakdown = breakdownOf(evaluation);
  return {
    transactionId,
    trustScore: 100 - evaluation.riskScore,
    confidence: confidenceOf(signals),
    recommendation: evaluation.decision,
    positiveFactors: evaluation.factors
      .filter((factor) => factor.weight < 0)
      .map((factor) => factor.code),
    riskFactors: riskFactors(evaluation),
    breakdown: {
      network_score: breakdown.network,
      device_score: breakdown.device,
      sim_score: breakdown.sim,
      verification_score: breakdown.verification,
      behaviour_score: breakdown.behaviour,
    },
    metadataId: body.metadataId ?? null,
  };
}

/** The Shield answer of one assessment. */
function shieldAnswer(transactionId: string, evaluation: Evaluation): ShieldAssessmentDataDto {
  const codes = new Set(evaluation.factors.map((factor) => factor.code));
  return {
    decision: evaluation.decision,
    riskScore: evaluation.riskScore,
    riskLevel: riskLevelOf(evaluation.riskScore),
    reasonCodes: riskFactors(evaluation),
    sdkVerified: codes.has('sdk_verified'),
    deviceConsistencyLevel:
      codes.has('device_session_mismatch') ||
      codes.has('device_new') ||
      codes.has('multi_account') ||
      codes.has('number_many_devices')
        ? 'INCONSISTENT'
        : codes.has('device_known')
          ? 'STABLE'
          : 'UNKNOWN',
    operatorConsistencyLevel: codes.has('operator_changed')
      ? 'CHANGED'
      : codes.has('operator_stable')
        ? 'STABLE'
        : 'UNKNOWN',
    transactionId,
  };
}

/** The Detect answer of one assessment. */
function detectAnswer(
  transactionId: string,
  signals: Signals,
  detection: DetectEvaluation,
): DetectAnalysisDataDto {
  const { velocity, device } = signals;
  const windowStats = Object.fromEntries(
    WINDOW_NAMES.map((name, index) => [
      name,
      {
        numberAssessments: velocity.number[index],
        deviceAssessments: velocity.device[index],
        ipAssessments: velocity.ip[index],
        numberVerifies: velocity.verifies[index],
        numberFailedVerifies: velocity.failures[index],
        numbersOnDevice: device.numbersOnDevice[index],
        devicesOnNumber: device.devicesOnNumber[index],
      },
    ]),
  ) as unknown as DetectAnalysisDataDto['windowStats'];
  return {
    anomalies: detection.anomalies,
    recommendedAction: detection.recommendedAction,
    riskLevel: riskLevelOf(detection.anomalyScore),
    anomalyScore: detection.anomalyScore,
    affectedCount: Math.max(device.numbersOnDevice[2], device.devicesOnNumber[2]),
    windowStats,
    transactionId,
  };
}
