import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { RequestAuditor } from '../../common/http/request-auditor.js';
import { AuditActionMap } from './audit-action-map.js';
import { AuditIntegrityService } from './audit-integrity.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditBatchWriter } from './audit-writer.js';
import { AuditController, ReportsController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditJobs } from './audit.jobs.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { PortalController } from './portal.controller.js';
import { HttpRequestAuditor } from './request-auditor.service.js';

/**
 * The audit trail: every public/admin API request (the interceptor for successes, the error
 * responder through RequestAuditor for errors), credential changes and job actions, hash-chained
 * in a partitioned append-only table, with the admin queries, export, reports and integrity check.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [AuditController, ReportsController, PortalController],
  providers: [
    AuditRepository,
    AuditBatchWriter,
    AuditService,
    AuditIntegrityService,
    AuditRetentionService,
    AuditActionMap,
    HttpRequestAuditor,
    AuditJobs,
    { provide: RequestAuditor, useExisting: HttpRequestAuditor },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditService, AuditIntegrityService, AuditRetentionService, RequestAuditor],
})
export class AuditModule {}
