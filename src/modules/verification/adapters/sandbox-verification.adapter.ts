import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../../common/auth/caller.js';
import { Clock } from '../../../common/clock/clock.js';
import type { AuditFacts } from '../../../common/http/audit-facts.js';
import type { RequestContext } from '../../../common/http/request-context.js';
import { DeadlineExceededError } from '../../../common/outbound/deadline.js';
import { OutboundClient } from '../../../common/outbound/outbound-client.js';
import type { OperatorView } from '../../operators/operators.service.js';
import { NotAProofError, type OpenedProof } from '../proof-codec.js';
import { ProofService } from '../proof.service.js';
import { invalidProof, operatorUnavailable } from '../verification.errors.js';
import {
  sandboxOperatorLeg,
  SandboxOperatorUnavailableError,
  type SandboxOutcome,
} from './sandbox-operator.js';
import {
  negativeVerdict,
  type Judged,
  type VerificationAdapter,
  type VerifyInput,
} from './verification-adapter.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sandbox operators: the simulated operator exchange (README table), and our own proofs judged here. */
@Injectable()
export class SandboxVerificationAdapter implements VerificationAdapter {
  constructor(
    private readonly outbound: OutboundClient,
    private readonly proofs: ProofService,
    private readonly clock: Clock,
  ) {}

  async identifies(operator: OperatorView, number: string, facts: AuditFacts): Promise<boolean> {
    return (await this.exchange(operator, number, facts)) === 'identified';
  }

  /** Decrypt, ask the operator, then judge. */
  async verify(
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
    await this.exchange(operator, input.mobileNumber, ctx.audit);
    return this.judge(client, operator, input, opened);
  }

  /** The sandbox operator's answer for `number`, within the deadline. */
  private async exchange(
    operator: OperatorView,
    number: string,
    facts: AuditFacts,
  ): Promise<SandboxOutcome> {
    const recorder = this.outbound.recorder((facts.upstream ??= []), operator.id);
    const attempt = recorder.attempt();
    const deadline = this.outbound.settings('verify').deadlineMs;
    try {
      const outcome = await this.outbound.withDeadline('verify', (signal) =>
        sandboxOperatorLeg(number, deadline, signal),
      );
      attempt.end(200);
      return outcome;
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        attempt.end('timeout');
        throw operatorUnavailable();
      }
      if (error instanceof SandboxOperatorUnavailableError) {
        attempt.end(503);
        throw operatorUnavailable();
      }
      throw error;
    }
  }

  /**
   * Checks run in this order so that a proof is spent only by its own client, for its own
   * operator and session, while still valid; it is spent (in the unit of work) whatever the
   * number comparison says, so one proof can never be used to test several numbers.
   */
  private judge(
    client: AuthenticatedClient,
    operator: OperatorView,
    input: VerifyInput,
    opened: OpenedProof,
  ): Judged {
    if (opened.kind !== 'valid' || !UUID.test(opened.claims.jti))
      return { verdict: negativeVerdict('PROOF_INVALID') };
    const { claims } = opened;
    if (claims.clientId !== client.clientId)
      return { verdict: negativeVerdict('PROOF_NOT_ISSUED_TO_CLIENT') };
    if (claims.exp * 1000 <= this.clock.now().getTime())
      return { verdict: negativeVerdict('PROOF_EXPIRED') };
    if (claims.operator !== operator.id) return { verdict: negativeVerdict('OPERATOR_MISMATCH') };
    if (input.sdkSessionId !== undefined && input.sdkSessionId !== claims.sessionId)
      return { verdict: negativeVerdict('SESSION_MISMATCH') };
    const spend = { jti: claims.jti, clientId: client.clientId };
    if (claims.number !== input.mobileNumber)
      return { verdict: negativeVerdict('NUMBER_MISMATCH'), spend };
    return { verdict: { validNumber: true }, spend };
  }
}
