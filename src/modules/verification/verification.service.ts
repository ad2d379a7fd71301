import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { RequestAudit, type RequestUnit } from '../audit/request-audit.service.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import { OperatorCallsService } from './adapters/operator-calls.service.js';
import { BalanceService } from './balance.service.js';
import type { ServiceType } from './dto/verify.dto.js';
import { productNotEnabled } from '../../common/errors/api-error.js';
import { maskPhoneNumber } from '../../common/phone/phone-number.js';
import { NotAProofError, type OpenedProof } from './proof-codec.js';
import { ProofService } from './proof.service.js';
import {
  insufficientBalance,
  invalidProof,
  NegativeVerdicts,
  transactionNotFound,
  unknownOperator,
  VerificationCodes,
  type NegativeVerdictCode,
} from './verification.errors.js';
import { VerificationRepository } from './verification.repository.js';
import { authmatechSuccess, authmatechWarning } from '../../common/http/authmatech-envelope.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { errorBody } from '../../common/http/error-envelope.js';

export interface VerifyInput {
  mobileNumber: string;
  encryptedMobileNumber: string;
  operatorId: string;
  serviceType: ServiceType;
  sdkSessionId?: string;
}

/** The verify answer's `data` (Authmatech). */
export interface VerifyData {
  validNumber: boolean;
  maskedMobileNumber?: string;
}

/** The verdict a verify reached; the controller puts it in the Authmatech envelope. */
export type VerifyOutcome =
  | { validNumber: true; maskedMobileNumber?: string }
  | { validNumber: false; reason: string; message: string };

// Built once: an Error (and its stack) per verify only to read its code and message was a
// measurable share of the verify path's CPU.
const NO_CREDIT_ERROR = insufficientBalance();
const NO_CREDIT_BODY = errorBody('authmatech', 400, NO_CREDIT_ERROR.codeFor('authmatech'), NO_CREDIT_ERROR.message);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `POST /v1/api/verify`: is the proof from enrichment a proof of this number, for this client?
 * The credit, the proof's single use and the audit event are one unit of work: they commit
 * together, or nothing does and the caller gets an error.
 */
@Injectable()
export class VerificationService {
  constructor(
    private readonly operators: OperatorsService,
    private readonly calls: OperatorCallsService,
    private readonly proofs: ProofService,
    private readonly balances: BalanceService,
    private readonly repository: VerificationRepository,
    private readonly requests: RequestAudit,
    private readonly clock: Clock,
  ) {}

  async verify(ctx: RequestContext, client: AuthenticatedClient, input: VerifyInput, maskMobile: boolean): Promise<VerifyOutcome> {
    const audit = ctx.audit;
    audit.action = 'verify';
    audit.serviceType = input.serviceType;
    audit.operatorId = input.operatorId;
    audit.phoneNumber = input.mobileNumber;
    if (maskMobile && !client.products.includes('VERIFY_MASKED')) throw productNotEnabled();
    const operator = await this.operators.findById(input.operatorId);
    if (!operator || operator.adapterKind === 'camara') throw unknownOperator();

    const judged =
      operator.adapterKind === 'upstream'
        ? await this.judgeUpstream(ctx, client, operator, input)
        : await this.judgeLocally(ctx, client, operator, input);
    const answer: VerifyOutcome =
      judged.verdict.validNumber && maskMobile ? { validNumber: true, maskedMobileNumber: maskPhoneNumber(input.mobileNumber, { withPlus: false }) } : judged.verdict;
    // The bodies are what a repeat with the same Idempotency-Key is answered (stored per outcome).
    const outcome = await this.requests.commit(ctx, {
      claims: { debit: this.balances.debitOf(client, 'verify'), proof: judged.spend },
      ok: { status: 200, verdict: verdictFacts(judged.verdict), body: verifyEnvelope(answer) },
      no_credit: { status: 400, errorCode: VerificationCodes.insufficientBalance, body: NO_CREDIT_BODY },
      proof_spent: { status: 200, verdict: verdictFacts(negative('PROOF_ALREADY_USED')), body: verifyEnvelope(negative('PROOF_ALREADY_USED')) },
    });
    if (outcome === 'no_credit') throw insufficientBalance();
    if (outcome === 'proof_spent') return negative('PROOF_ALREADY_USED');
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
    Object.assign(ctx.audit, { action: 'verify', serviceType: input.serviceType, phoneNumber: input.mobileNumber });
    // Another client's session is as unknown as a missing one.
    const session = await this.repository.findEnrichmentSessionOfClient(transactionId, client.clientId);
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
      { ...input, encryptedMobileNumber: session.proof, operatorId: session.operatorId, sdkSessionId: session.id },
      maskMobile,
    );
  }

  /** Our own proofs (sandbox operators): decrypt, ask the operator, then judge. Nothing is spent yet. */
  private async judgeLocally(
    ctx: RequestContext,
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
  ): Promise<Judged> {
    let opened: OpenedProof;
    try {
      opened = await this.proofs.open(input.encryptedMobileNumber);
    } catch (error) {
      if (error instanceof NotAProofError) throw invalidProof();
      throw error;
    }
    await this.calls.sandbox(operator, input.mobileNumber, ctx.audit);
    return this.judge(client, operator, input, opened);
  }

  /**
   * Checks run in this order so that a proof is spent only by its own client, for its own
   * operator and session, while still valid; it is spent (in the unit of work) whatever the
   * number comparison says, so one proof can never be used to test several numbers.
   */
  private judge(client: AuthenticatedClient, operator: OperatorView, input: VerifyInput, opened: OpenedProof): Judged {
    if (opened.kind !== 'valid' || !UUID.test(opened.claims.jti)) return { verdict: negative('PROOF_INVALID') };
    const { claims } = opened;
    if (claims.clientId !== client.clientId) return { verdict: negative('PROOF_NOT_ISSUED_TO_CLIENT') };
    if (claims.exp * 1000 <= this.clock.now().getTime()) return { verdict: negative('PROOF_EXPIRED') };
    if (claims.operator !== operator.id) return { verdict: negative('OPERATOR_MISMATCH') };
    if (input.sdkSessionId !== undefined && input.sdkSessionId !== claims.sessionId) return { verdict: negative('SESSION_MISMATCH') };
    const spend = { jti: claims.jti, clientId: client.clientId };
    if (claims.number !== input.mobileNumber) return { verdict: negative('NUMBER_MISMATCH'), spend };
    return { verdict: { validNumber: true }, spend };
  }

  private async judgeUpstream(
    ctx: RequestContext,
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
  ): Promise<Judged> {
    // The upstream charges per call: a client without credit is refused before it is called.
    // (Concurrent requests may still reach it on the last credit; only one of them is answered.)
    if (client.environment === 'LIVE' && !(await this.balances.hasCredit(client.clientId))) throw insufficientBalance();
    const upstream = await this.calls.upstreamVerify(operator, { ...input }, ctx.audit, ctx.correlationId);
    if (upstream.validNumber) return { verdict: { validNumber: true } };
    const reason = upstream.reason ?? 'UPSTREAM_NEGATIVE';
    const known = (NegativeVerdicts as Partial<Record<string, string>>)[reason];
    return { verdict: { validNumber: false, reason, message: known ?? NegativeVerdicts.UPSTREAM_NEGATIVE } };
  }
}

interface Judged {
  verdict: VerifyOutcome;
  /** The proof to spend with the verdict (absent when the proof is refused before its use). */
  spend?: NonNullable<NonNullable<RequestUnit['claims']>['proof']>;
}

/** A verdict in the Authmatech envelope: a negative one is a 200 with a WARNING naming why. */
export function verifyEnvelope(outcome: VerifyOutcome): AuthmatechEnvelope<VerifyData> {
  if (!outcome.validNumber) return authmatechWarning(outcome.reason, outcome.message, { validNumber: false });
  return authmatechSuccess(outcome.maskedMobileNumber === undefined ? { validNumber: true } : { validNumber: true, maskedMobileNumber: outcome.maskedMobileNumber });
}

function negative(reason: NegativeVerdictCode): VerifyOutcome {
  return { validNumber: false, reason, message: NegativeVerdicts[reason] };
}

/** The verdict as the audit trail keeps it (never the masked number: the event masks it itself). */
function verdictFacts(verdict: VerifyOutcome): Record<string, unknown> {
  return verdict.validNumber ? { validNumber: true } : { validNumber: false, reason: verdict.reason };
}
