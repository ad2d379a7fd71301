import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { SimSwapModule } from '../sim-swap/sim-swap.module.js';
import { VerificationModule } from '../verification/verification.module.js';
import { IntelligenceController } from './intelligence.controller.js';
import { IntelligenceRepository } from './intelligence.repository.js';
import { IntelligenceService } from './intelligence.service.js';
import { PoliciesAdminController, PoliciesPortalController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { SignalsService } from './signals.service.js';

/**
 * Trust, Shield and Detect (Authmatech intelligence) from the gateway's own signals. Meets the
 * other modules through their services only: SimSwap for swap recency, Verification for
 * verdicts, SDK sessions and credits, Operators for the number's country, Audit for the trail.
 */
@Module({
  imports: [AuditModule, CredentialsModule, OperatorsModule, SimSwapModule, VerificationModule],
  controllers: [IntelligenceController, PoliciesPortalController, PoliciesAdminController],
  providers: [IntelligenceRepository, SignalsService, PoliciesService, IntelligenceService],
  exports: [IntelligenceService, PoliciesService],
})
export class IntelligenceModule {}
