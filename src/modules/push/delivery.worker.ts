import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Environment } from '../../common/config/environment.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliveryService } from './delivery.service.js';

/**
 * Delivers in this process when jobs and delivery are enabled, as a pg-boss worker on the
 * `push-delivery` queue: every instance may run one, pg-boss's fetch (FOR UPDATE SKIP LOCKED)
 * keeps their jobs apart and its lease brings back the jobs of an instance that died.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly delivery: DeliveryService,
    private readonly queue: DeliveryQueue,
    private readonly environment: Environment,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.environment.JOBS_ENABLED || !this.environment.PUSH_DELIVERY_ENABLED) return;
    await this.queue.work(async (jobs) => {
      const { unsettled } = await this.delivery.deliverJobs(jobs);
      // pg-boss completes the batch when this resolves and retries it when it throws. A retried
      // job whose outcome was committed claims nothing (its event moved on); the unsettled ones
      // are attempted again.
      if (unsettled.size > 0)
        throw new Error(`${unsettled.size} delivery outcomes were not recorded`);
    });
  }

  onApplicationShutdown(): void {
    // The queue (a module-destroy hook, before this) stopped its workers after their batch.
    this.delivery.close();
  }
}
