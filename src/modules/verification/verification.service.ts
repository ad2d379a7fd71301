import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { OperatorsService } from '../operators/operators.service.js';
import {
  negativeVerdict,
  VERIFICATION_ADAPTERS,
  type VerificationAdapters,
  type VerifyInput,
  type VerifyOutcome,
} from './adapters/verification-adapter.js';
import { BalanceService } from './balance.service.js';
import type { ServiceType } from './dto/verify.dto.js';
import { productNotEnabled } from '../../common/errors/api-error.js';
import { maskPhoneNumber } from '../../common/phone/phone-number.js';
import {
  insufficientBalance,
  transactionNotFound,
  unknownOperator,
  VerificationCodes,
} from './verification.errors.js';
import { VerificationRepository } from './verification.repository.js';
import { authmatechSuccess, authmatechWarning } from '../../common/http/authmatech-envelope.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { errorBody } from '../../common/http/error-envelope.js';

/** The verify answer's `data` (Authmatech). */
export interface VerifyData {
  validNumber: boolean;
  maskedMobileNumber?: string;
}

// Built once: an Error (and its stack) per verify only to read its code and message was a
// measurable share of the verify path's CPU.
const NO_CREDIT_ERROR = insufficientBalance();
const NO_CREDIT_BODY = errorBody(
  'authmatech',
  400,
  NO_CREDIT_ERROR.codeFor('authmatech'),
  NO_CREDIT_ERROR.message,
);

/**
 * `POST /v1/api/verify`: is the proof from enrichment a proof of this number, for this client?
 * The credit, the proof's single use and the audit event are one unit of work: they commit
 * together, or nothing does and the caller gets an error.
 */
@Injectable()
export class VerificationService {
  constructor(
    private readonly operators: OperatorsService,
    @Inject(VERIFICATION_ADAPTERS) private readonly adapters: VerificationAdapters,
    private readonly balances: BalanceService,
    private readonly repository: VerificationRepository,
    private readonly requests: RequestAudit,
  ) {}

  async verify(
    ctx: RequestContext,
    client: AuthenticatedClient,
    input: VerifyInput,
    maskMobile: boolean,
  ): Promise<VerifyOutcome> {
    const audit = ctx.audit;
    audit.action = 'verify';
    audit.serviceType = input.serviceType;
    audit.operatorId = input.operatorId;
    audit.phoneNumber = input.mobileNumber;
    if (maskMobile && !client.products.includes('VERIFY_MASKED')) throw productNotEnabled();
    const operator = await this.operators.findById(input.operatorId);
    const adapter = operator && this.adapters[operator.adapterKind];
    if (!operator || !adapter) throw unknownOperator();

    const judged = await adapter.verify(ctx, client, operator, input);
    const answer: VerifyOutcome =
      judged.verdict.validNumber && maskMobile
        ? {
            validNumber: true,
            maskedMobileNumber: maskPhoneNumber(input.mobileNumber, { withPlus: false }),
          }
        : judged.verdict;
    // The bodies are what a repeat with the same Idempotency-Key is answered (stored per outcome).
    const outcome = await this.requests.commit(ctx, {
      claims: { debit: this.balances.debitOf(client, 'verify'), proof: judged.spend },
      ok: { status: 200, verdict: verdictFacts(judged.verdict), body: verifyEnvelope(answer) },
      no_credit: {
        status: 400,
        errorCode: VerificationCodes.insufficientBalance,
        body: NO_CREDIT_BODY,
      },
      proof_spent: {
        status: 200,
        verdict: verdictFacts(negativeVerdict('PROOF_ALREADY_USED')),
        body: verifyEnvelope(negativeVerdict('PROOF_ALREADY_USED')),
      },
    });
    if (outcome === 'no_credit') throw insufficientBalance();
    if (outcome === 'proof_spent') return negativeVerdict('PROOF_ALREADY_USED');
    return answer;
  }

  /** The web variant: the proof of the enrichment session `transactionId`, kept server-side. */
  async verifyTransaction(
    ctx: RequestContext,
    client: AuthenticatedClient,
    transactionId: string,
    input: { mobileNumber: string; serviceType: ServiceType },
    maskMobile: boolean,
  ): Promise<VerifyOutcome> {
    Object.assign(ctx.audit, {
      action: 'verify',
      serviceType: input.serviceType,
      phoneNumber: input.mobileNumber,
    });
    // Another client's session is as unknown as a missing one.
    const session = await this.repository.findEnrichmentSessionOfClient(
      transactionId,
      client.clientId,
    );
    if (!session) throw transactionNotFound();
    if (!session.proof) {
      ctx.audit.operatorId = session.operatorId;
      ctx.audit.verdict = { validNumber: false, reason: VerificationCodes.noEnrichmentResult };
      return {
        validNumber: false,
        reason: VerificationCodes.noEnrichmentResult,
        message: 'The enrichment of this session identified nobody; nothing can be verified.',
      };
    }
    return this.verify(
      ctx,
      client,
      {
        ...input,
        encryptedMobileNumber: session.proof,
        operatorId: session.operatorId,
        sdkSessionId: session.id,
      },
      maskMobile,
    );
  }
}

/** A verdict in the Authmatech envelope: a negative one is a 200 with a WARNING naming why. */
export function verifyEnvelope(outcome: VerifyOutcome): AuthmatechEnvelope<VerifyData> {
  if (!outcome.validNumber)
    return authmatechWarning(outcome.reason, outcome.message, { validNumber: false });
  return authmatechSuccess(
    outcome.maskedMobileNumber === undefined
      ? { validNumber: true }
      : { validNumber: true, maskedMobileNumber: outcome.maskedMobileNumber },
  );
}

/** The verdict as the audit trail keeps it (never the masked number: the event masks it itself). */
function verdictFacts(verdict: VerifyOutcome): Record<string, unknown> {
  return verdict.validNumber
    ? { validNumber: true }
    : { validNumber: false, reason: verdict.reason };
}
