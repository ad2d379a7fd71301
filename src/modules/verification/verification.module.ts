import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { OutboundModule } from '../../common/outbound/outbound.module.js';
import { SandboxVerificationAdapter } from './adapters/sandbox-verification.adapter.js';
import { UpstreamVerificationAdapter } from './adapters/upstream-verification.adapter.js';
import {
  VERIFICATION_ADAPTERS,
  type VerificationAdapters,
} from './adapters/verification-adapter.js';
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
  imports: [
    HttpModule.register({}),
    OutboundModule,
    AuditModule,
    CredentialsModule,
    OperatorsModule,
  ],
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
    SandboxVerificationAdapter,
    UpstreamVerificationAdapter,
    {
      // Which adapter serves which operator kind; CAMARA operators take no part in verification.
      provide: VERIFICATION_ADAPTERS,
      inject: [SandboxVerificationAdapter, UpstreamVerificationAdapter],
      useFactory: (
        sandbox: SandboxVerificationAdapter,
        upstream: UpstreamVerificationAdapter,
      ): VerificationAdapters => ({ sandbox, upstream }),
    },
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
