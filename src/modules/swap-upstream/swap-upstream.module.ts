import { Module } from '@nestjs/common';
import { SealedUpstreamSubscriptions } from './swap-upstream-sealed-store.js';
import { AuditModule } from '../audit/audit.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { PushModule } from '../push/push.module.js';
import { SimSwapModule } from '../sim-swap/sim-swap.module.js';
import { SwapUpstreamJobs } from './swap-upstream.jobs.js';
import { SwapUpstreamRepository } from './swap-upstream.repository.js';
import { SwapUpstreamService } from './swap-upstream.service.js';
import { UpstreamNotificationsController } from './upstream-notifications.controller.js';
import { UpstreamNotificationsService } from './upstream-notifications.service.js';

/**
 * The event source of subscriptions to numbers of operators that offer CAMARA SIM Swap
 * Subscriptions: the gateway's own subscriptions there, and the receiver of their CloudEvents.
 * Its own module for the reason swap-polling is one: it joins SimSwap (operator calls) and Push
 * (the outbox), which already depend one way.
 */
@Module({
  imports: [AuditModule, CredentialsModule, OperatorsModule, PushModule, SimSwapModule],
  controllers: [UpstreamNotificationsController],
  providers: [
    SwapUpstreamRepository,
    SwapUpstreamService,
    UpstreamNotificationsService,
    SwapUpstreamJobs,
    SealedUpstreamSubscriptions,
  ],
})
export class SwapUpstreamModule {}
