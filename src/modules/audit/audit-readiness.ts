import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Environment } from '../../common/config/environment.js';
import { DatabaseConnection } from '../../common/database/database-connection.js';
import { ReadinessCheck } from '../../common/health/readiness-check.js';
import { AuditBatchWriter } from './audit-writer.js';
import { AuditRepository } from './audit.repository.js';

/**
 * Readiness of the audit trail: no answer can leave without its event, so an instance whose
 * events cannot be appended cannot serve. Not ready while the writer has waited on one commit
 * past AUDIT_STALL_THRESHOLD_MS, or while the chain head cannot be locked within that time (held
 * by a stuck transaction, say). The lock probe makes readiness recover by itself once the head is
 * free, without waiting for traffic the load balancer no longer sends.
 */
@Injectable()
export class AuditReadiness extends ReadinessCheck {
  constructor(
    private readonly writer: AuditBatchWriter,
    private readonly repository: AuditRepository,
    private readonly health: HealthIndicatorService,
    private readonly environment: Environment,
    private readonly connection: DatabaseConnection,
  ) {
    super();
  }

  async check(): Promise<HealthIndicatorResult> {
    const indicator = this.health.check('audit');
    const threshold = this.environment.AUDIT_STALL_THRESHOLD_MS;
    if (this.writer.stalledMs() > threshold)
      return indicator.down({ message: 'audit writer stalled' });
    // The embedded database is one connection of this process: nothing else can hold the head.
    if (this.connection.kind === 'embedded') return indicator.up();
    try {
      await this.repository.probeHeadLock(Math.min(threshold, 1_000));
      return indicator.up();
    } catch {
      return indicator.down({ message: 'audit trail cannot be appended to' });
    }
  }
}
