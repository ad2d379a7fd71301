import { Injectable } from '@nestjs/common';
import type { IdempotentRequest } from '../../common/http/idempotency.js';
import { AuditService, type AuditEventInput } from '../audit/audit.service.js';
import type { Tx } from './credentials.repository.js';

export type CredentialAuditEvent = AuditEventInput;

/**
 * Where credential changes are recorded: the Audit module's service, inside the change's own
 * transaction (so a key is never issued, rotated or ended without its event, nor the reverse).
 */
@Injectable()
export class CredentialAudit {
  constructor(private readonly audit: AuditService) {}

  record(event: CredentialAuditEvent, tx: Tx): Promise<void> {
    return this.audit.record(event, tx);
  }

  /** Claims the request's idempotency key as the change's first statement (a repeat waits, then replays). */
  claim(answering: Answering<unknown> | undefined, tx: Tx): Promise<void> {
    return answering ? this.audit.claimIdempotency(answering.request, tx) : Promise.resolve();
  }

  /** `record`, storing the answer for the key `claim` took (when the request has one). */
  recordAnswered<T>(event: CredentialAuditEvent, tx: Tx, answering: Answering<T> | undefined, result: T): Promise<void> {
    if (!answering) return this.audit.record(event, tx);
    return this.audit.recordAnswered(event, tx, answering.request, { status: answering.status, body: answering.body(result) });
  }
}

/**
 * How a change called with an `Idempotency-Key` is answered: the stored answer is built from the
 * change's result inside its transaction, so it commits with the change.
 */
export interface Answering<T> {
  request: IdempotentRequest;
  status: number;
  body(result: T): unknown;
}
