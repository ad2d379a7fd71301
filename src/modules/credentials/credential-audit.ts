import { Injectable } from '@nestjs/common';
import type { CredentialRef } from '../../common/auth/caller.js';
import type { IdempotentRequest } from '../../common/http/idempotency.js';
import { AuditService, type AuditEventInput } from '../audit/audit.service.js';
import type { Tx } from './credentials.repository.js';

export type CredentialAuditEvent = AuditEventInput;

/** Who made a change, for its audit event. */
export interface Actor {
  type: 'client' | 'admin' | 'system' | 'console_user';
  id?: string;
  contract: CredentialAuditEvent['contract'];
  credential?: CredentialRef;
  correlationId?: string;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', contract: 'system' };

/** The audit event of a change `actor` made (its credential, unless the change names another). */
export function eventBy(
  actor: Actor,
  action: string,
  outcome: 'success' | 'failure',
  extra: Partial<CredentialAuditEvent>,
): CredentialAuditEvent {
  return {
    action,
    contract: actor.contract,
    actorType: actor.type,
    actorId: actor.id,
    correlationId: actor.correlationId,
    outcome,
    ...extra,
    credential: extra.credential ?? actor.credential,
  };
}

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
  recordAnswered<T>(
    event: CredentialAuditEvent,
    tx: Tx,
    answering: Answering<T> | undefined,
    result: T,
  ): Promise<void> {
    if (!answering) return this.audit.record(event, tx);
    return this.audit.recordAnswered(event, tx, answering.request, {
      status: answering.status,
      body: answering.body(result),
    });
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
