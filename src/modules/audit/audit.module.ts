import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ReadinessCheck } from '../../common/health/readiness-check.js';
import { AuditReadiness } from './audit-readiness.js';
import { AuditMetrics } from './audit-metrics.js';
import { AuditIntegrityService } from './audit-integrity.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditVerificationRunsRepository } from './audit-verification-runs.repository.js';
import { AuditVerificationRunsService } from './audit-verification-runs.service.js';
import { AuditBatchWriter } from './audit-writer.js';
import { AuditController, ReportsController } from './audit.controller.js';
import { AuditJobs } from './audit.jobs.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { PortalController } from './portal.controller.js';
import { RequestAudit } from './request-audit.service.js';

/**
 * The audit trail: every public/admin API request (recorded before its answer leaves, in one unit
 * of work with its side effects), credential changes and job actions, hash-chained in a
 * partitioned append-only table, with the admin queries, export, reports and integrity check.
 */
@Module({
  imports: [TerminusModule],
  controllers: [AuditController, ReportsController, PortalController],
  providers: [
    AuditRepository,
    AuditMetrics,
    AuditBatchWriter,
    AuditService,
    AuditIntegrityService,
    AuditRetentionService,
    RequestAudit,
    AuditVerificationRunsRepository,
    AuditVerificationRunsService,
    AuditJobs,
    { provide: ReadinessCheck, useClass: AuditReadiness },
  ],
  exports: [
    AuditService,
    AuditIntegrityService,
    AuditRetentionService,
    AuditVerificationRunsService,
    RequestAudit,
    AuditBatchWriter,
  ],
})
export class AuditModule {}
