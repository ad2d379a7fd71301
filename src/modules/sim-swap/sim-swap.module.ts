import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { OutboundModule } from '../../common/outbound/outbound.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { PushModule } from '../push/push.module.js';
import { CamaraSwapAdapter } from './adapters/camara-swap.adapter.js';
import { SandboxSwapAdapter } from './adapters/sandbox-swap.adapter.js';
import { CamaraDeviceSwapController, CamaraSimSwapController } from './camara-swap.controller.js';
import { IdentityMatchSimSwapController } from './identity-match-sim-swap.controller.js';
import { SandboxAdminController } from './sandbox-admin.controller.js';
import { SimSwapRepository } from './sim-swap.repository.js';
import { SimSwapService } from './sim-swap.service.js';

/** SIM-swap and device-swap checks (Identity Match and CAMARA contracts) and their sandbox data. */
@Module({
  imports: [HttpModule, OutboundModule, AuditModule, OperatorsModule, PushModule],
  controllers: [
    IdentityMatchSimSwapController,
    CamaraSimSwapController,
    CamaraDeviceSwapController,
    SandboxAdminController,
  ],
  providers: [SimSwapService, SimSwapRepository, SandboxSwapAdapter, CamaraSwapAdapter],
  exports: [SimSwapService],
})
export class SimSwapModule {}
