import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Environment } from '../../common/config/environment.js';
import { DeliveryService } from './delivery.service.js';

/**
 * Runs the delivery loop in this process when jobs and delivery are enabled: a full batch is
 * followed at once by the next, an empty one by a pause of PUSH_POLL_INTERVAL_MS. Every instance
 * may run it; claims (FOR UPDATE SKIP LOCKED plus a lease) keep their events apart.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly delivery: DeliveryService,
    private readonly environment: Environment,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.environment.JOBS_ENABLED || !this.environment.PUSH_DELIVERY_ENABLED) return;
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    // The batch in flight finishes (its outcomes are committed) before the pool closes.
    await this.loop;
    this.delivery.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let attempted = 0;
      try {
        attempted = await this.delivery.runOnce();
      } catch (error) {
        this.logger.error(`delivery poll failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() clears it while runOnce() is awaited; TypeScript keeps the loop condition's narrowing across the await
      if (attempted < this.environment.PUSH_BATCH_SIZE && this.running) await this.pause();
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.environment.PUSH_POLL_INTERVAL_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
