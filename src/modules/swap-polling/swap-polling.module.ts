import { Module } from '@nestjs/common';
import { PushModule } from '../push/push.module.js';
import { SimSwapModule } from '../sim-swap/sim-swap.module.js';
import { SwapPollingJobs } from './swap-polling.jobs.js';
import { SwapPollingService } from './swap-polling.service.js';

/**
 * The event source of subscriptions to numbers of `camara` operators: polls their retrieve-date.
 * Its own module because it joins two that already depend one way (SimSwap writes Push's outbox).
 */
@Module({
  imports: [PushModule, SimSwapModule],
  providers: [SwapPollingService, SwapPollingJobs],
  exports: [SwapPollingService],
})
export class SwapPollingModule {}
