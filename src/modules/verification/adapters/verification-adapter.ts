import type { AuthenticatedClient } from '../../../common/auth/caller.js';
import type { RequestContext } from '../../../common/http/request-context.js';
import type { AuditFacts } from '../../../common/http/audit-facts.js';
import type { RequestUnit } from '../../audit/request-audit.service.js';
import type { OperatorAdapterKind, OperatorView } from '../../operators/operators.service.js';
import type { ServiceType } from '../dto/verify.dto.js';
import { NegativeVerdicts, type NegativeVerdictCode } from '../verification.errors.js';

export interface VerifyInput {
  mobileNumber: string;
  encryptedMobileNumber: string;
  operatorId: string;
  serviceType: ServiceType;
  sdkSessionId?: string;
}

/** The verdict a verify reached; the controller puts it in the Authmatech envelope. */
export type VerifyOutcome =
  | { validNumber: true; maskedMobileNumber?: string }
  | { validNumber: false; reason: string; message: string };

export interface Judged {
  verdict: VerifyOutcome;
  /** The proof to spend with the verdict (absent when the proof is refused before its use). */
  spend?: NonNullable<NonNullable<RequestUnit['claims']>['proof']>;
}

export function negativeVerdict(reason: NegativeVerdictCode): VerifyOutcome {
  return { validNumber: false, reason, message: NegativeVerdicts[reason] };
}

/**
 * How one kind of operator takes part in silent verification, as SwapAdapter is for swaps: the
 * services pick the adapter by the operator's adapter kind and never branch on it themselves.
 * Failures are ApiErrors (503 OPERATOR_UNAVAILABLE, 400 for a malformed proof); no adapter invents
 * a verdict.
 */
export interface VerificationAdapter {
  /** Header enrichment: does this operator vouch for `number` on its network (so the gateway issues a proof)? */
  identifies(operator: OperatorView, number: string, facts: AuditFacts): Promise<boolean>;
  /** The verdict on `input` (nothing is spent yet: the service commits the spend with the verdict). */
  verify(
    ctx: RequestContext,
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
  ): Promise<Judged>;
}

/** The adapters by operator adapter kind; a kind that is absent takes no part in verification (unknown operator). */
export type VerificationAdapters = Partial<Record<OperatorAdapterKind, VerificationAdapter>>;

export const VERIFICATION_ADAPTERS = Symbol('VERIFICATION_ADAPTERS');
