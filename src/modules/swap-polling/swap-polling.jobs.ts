import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { SwapPollingService } from './swap-polling.service.js';

@Injectable()
export class SwapPollingJobs {
  private readonly logger = new Logger(SwapPollingJobs.name);
  private running = false;

  constructor(
    private readonly service: SwapPollingService,
    private readonly environment: Environment,
  ) {}

  /** The retrieve-date poll of `camara` subscriptions; a tick still running (slow operators) makes the next one skip. */
  @Cron(CronExpression.EVERY_10_SECONDS)
  async pollDue(): Promise<void> {
    if (!this.environment.JOBS_ENABLED || this.running) return;
    this.running = true;
    try {
      const report = await this.service.pollDue();
      if (report && (report.outcomes.swapped > 0 || report.failed > 0)) {
        this.logger.log(
          `swap poll: ${report.asked} numbers asked, ${report.outcomes.swapped} swaps, ${report.failed} failed`,
        );
      }
    } catch (error) {
      this.logger.error(
        `swap poll failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.running = false;
    }
  }
}
