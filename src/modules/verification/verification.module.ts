import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { OperatorCallsService } from './adapters/operator-calls.service.js';
import { BalanceAdminController } from './balance-admin.controller.js';
import { BalanceRepository } from './balance.repository.js';
import { BalanceService } from './balance.service.js';
import { CheckPageController } from './check-page.controller.js';
import { EnrichmentService } from './enrichment.service.js';
import { BalancePortalController } from './portal.controller.js';
import { ProofKeysRepository } from './proof-keys.repository.js';
import { ProofKeysService } from './proof-keys.service.js';
import { ProofService } from './proof.service.js';
import { VerificationController } from './verification.controller.js';
import { VerificationHistoryService } from './verification-history.service.js';
import { VerificationJobs } from './verification.jobs.js';
import { VerificationRepository } from './verification.repository.js';
import { VerificationService } from './verification.service.js';

/** Silent mobile number verification (Authmatech contract): enrichment, proofs, verify, balances. */
@Module({
  imports: [HttpModule.register({}), AuditModule, CredentialsModule, OperatorsModule],
  controllers: [
    VerificationController,
    CheckPageController,
    BalancePortalController,
    BalanceAdminController,
  ],
  providers: [
    VerificationRepository,
    BalanceRepository,
    ProofKeysRepository,
    ProofKeysService,
    OperatorCallsService,
    ProofService,
    BalanceService,
    EnrichmentService,
    VerificationService,
    VerificationHistoryService,
    VerificationJobs,
  ],
  exports: [VerificationService, VerificationHistoryService, BalanceService, ProofKeysService],
})
export class VerificationModule {}
