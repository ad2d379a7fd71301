import { Injectable } from '@nestjs/common';
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
}
