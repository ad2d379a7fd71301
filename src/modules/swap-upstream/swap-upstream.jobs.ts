import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { SwapUpstreamService } from './swap-upstream.service.js';

@Injectable()
export class SwapUpstreamJobs {
  private readonly logger = new Logger(SwapUpstreamJobs.name);
  private running = false;

  constructor(
    private readonly service: SwapUpstreamService,
    private readonly environment: Environment,
  ) {}

  /** Subscribes waiting numbers at their operators and deletes unused upstream subscriptions; a tick still running makes the next one skip. */
  @Cron(CronExpression.EVERY_10_SECONDS)
  async syncDue(): Promise<void> {
    if (!this.environment.JOBS_ENABLED || this.running) return;
    this.running = true;
    try {
      const report = await this.service.syncDue();
      if (report && report.subscribed + report.joined + report.fellBack + report.deleted > 0) {
        this.logger.log(
          `upstream subscriptions: ${report.subscribed} created, ${report.joined} joined, ${report.fellBack} polled instead, ${report.deleted} deleted`,
        );
      }
    } catch (error) {
      this.logger.error(
        `upstream subscription tick failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.running = false;
    }
  }
}
