import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { ApiError } from '../../common/errors/api-error.js';
import { auditFacts, type AuditFacts } from '../../common/http/audit-facts.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import { OperatorCallsService } from './adapters/operator-calls.service.js';
import { authmatechSuccess as success, authmatechWarning as warning } from '../../common/http/authmatech-envelope.js';
import { BalanceService } from './balance.service.js';
import type { ServiceType } from './dto/verify.dto.js';
import { maskPhoneNumber } from '../../common/phone/phone-number.js';
import { NotAProofError, type OpenedProof } from './proof-codec.js';
import { ProofService } from './proof.service.js';
import {
  invalidProof,
  NegativeVerdicts,
  productNotEnabled,
  unknownOperator,
  VerificationCodes,
  type NegativeVerdictCode,
} from './verification.errors.js';
import { VerificationRepository } from './verification.repository.js';

export interface VerifyInput {
  mobileNumber: string;
  encryptedMobileNumber: string;
  operatorId: string;
  serviceType: ServiceType;
  sdkSessionId?: string;
}

export interface VerifyData {
  validNumber: boolean;
  maskedMobileNumber?: string;
}

type Verdict = { validNumber: true } | { validNumber: false; reason: string; message: string };

/** `POST /v1/api/verify`: is the proof from enrichment a proof of this number, for this client? */
@Injectable()
export class VerificationService {
  constructor(
    private readonly operators: OperatorsService,
    private readonly calls: OperatorCallsService,
    private readonly proofs: ProofService,
    private readonly balances: BalanceService,
    private readonly repository: VerificationRepository,
    private readonly clock: Clock,
  ) {}

  async verify(
    client: AuthenticatedClient,
    input: VerifyInput,
    maskMobile: boolean,
    request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<VerifyData>> {
    const facts = auditFacts(request);
    facts.action = 'verify';
    facts.serviceType = input.serviceType;
    facts.operatorId = input.operatorId;
    facts.phoneNumber = input.mobileNumber;
    if (maskMobile && !client.products.includes('VERIFY_MASKED')) throw productNotEnabled();
    const operator = await this.operators.findById(input.operatorId);
    if (!operator || operator.adapterKind === 'camara') throw unknownOperator();

    const verdict =
      operator.adapterKind === 'upstream'
        ? await this.verifyUpstream(client, operator, input, facts, request.id)
        : await this.verifyLocally(client, operator, input, facts);

    facts.verdict = verdict.validNumber
      ? { validNumber: true }
      : { validNumber: false, reason: verdict.reason };
    if (!verdict.validNumber)
      return warning(verdict.reason, verdict.message, { validNumber: false });
    return success(
      maskMobile
        ? { validNumber: true, maskedMobileNumber: maskPhoneNumber(input.mobileNumber, { withPlus: false }) }
        : { validNumber: true },
    );
  }

  /** The web variant: the proof of the enrichment session `transactionId`, kept server-side. */
  async verifyTransaction(
    client: AuthenticatedClient,
    transactionId: string,
    input: { mobileNumber: string; serviceType: ServiceType },
    maskMobile: boolean,
    request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<VerifyData>> {
    // Another client's session is as unknown as a missing one.
    const session = await this.repository.findEnrichmentSessionOfClient(
      transactionId,
      client.clientId,
    );
    if (!session) {
      const facts = auditFacts(request);
      facts.action = 'verify';
      facts.serviceType = input.serviceType;
      facts.phoneNumber = input.mobileNumber;
      throw new ApiError(
        404,
        VerificationCodes.transactionNotFound,
        'No enrichment session with this id exists for this client.',
      );
    }
    if (!session.proof) {
      const facts = auditFacts(request);
      Object.assign(facts, {
        action: 'verify',
        serviceType: input.serviceType,
        operatorId: session.operatorId,
        phoneNumber: input.mobileNumber,
      });
      facts.verdict = { validNumber: false, reason: VerificationCodes.noEnrichmentResult };
      return warning(
        VerificationCodes.noEnrichmentResult,
        'The enrichment of this session identified nobody; nothing can be verified.',
        { validNumber: false },
      );
    }
    return this.verify(
      client,
      {
        ...input,
        encryptedMobileNumber: session.proof,
        operatorId: session.operatorId,
        sdkSessionId: session.id,
      },
      maskMobile,
      request,
    );
  }

  /** Our own proofs (sandbox operators): decrypt, check, spend, compare. */
  private async verifyLocally(
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
    facts: AuditFacts,
  ): Promise<Verdict> {
    let opened: OpenedProof;
    try {
      opened = await this.proofs.open(input.encryptedMobileNumber);
    } catch (error) {
      if (error instanceof NotAProofError) throw invalidProof();
      throw error;
    }
    const charge = await this.balances.charge(client);
    try {
      await this.calls.sandbox(operator, input.mobileNumber, facts);
    } catch (error) {
      await charge.refund();
      throw error;
    }
    return this.judge(client, operator, input, opened);
  }

  /**
   * Checks run in this order so that a proof is spent only by its own client, for its own
   * operator and session, while still valid; and it is spent before the number is compared, so
   * one proof can never be used to test several numbers.
   */
  private async judge(
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
    opened: OpenedProof,
  ): Promise<Verdict> {
    if (opened.kind !== 'valid') return negative('PROOF_INVALID');
    const { claims } = opened;
    if (claims.clientId !== client.clientId) return negative('PROOF_NOT_ISSUED_TO_CLIENT');
    const now = this.clock.now();
    if (claims.exp * 1000 <= now.getTime()) return negative('PROOF_EXPIRED');
    if (claims.operator !== operator.id) return negative('OPERATOR_MISMATCH');
    if (input.sdkSessionId !== undefined && input.sdkSessionId !== claims.sessionId)
      return negative('SESSION_MISMATCH');
    if (!(await this.repository.spendProof(claims.jti, client.clientId, now)))
      return negative('PROOF_ALREADY_USED');
    if (claims.number !== input.mobileNumber) return negative('NUMBER_MISMATCH');
    return { validNumber: true };
  }

  private async verifyUpstream(
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
    facts: AuditFacts,
    correlationId: string,
  ): Promise<Verdict> {
    // Charged before the call, so concurrent requests cannot all reach the upstream on one credit.
    const charge = await this.balances.charge(client);
    try {
      const upstream = await this.calls.upstreamVerify(
        operator,
        { ...input },
        facts,
        correlationId,
      );
      if (upstream.validNumber) return { validNumber: true };
      const reason = upstream.reason ?? 'UPSTREAM_NEGATIVE';
      const known = (NegativeVerdicts as Record<string, string>)[reason];
      return { validNumber: false, reason, message: known ?? NegativeVerdicts.UPSTREAM_NEGATIVE };
    } catch (error) {
      await charge.refund();
      throw error;
    }
  }
}

function negative(reason: NegativeVerdictCode): Verdict {
  return { validNumber: false, reason, message: NegativeVerdicts[reason] };
}
