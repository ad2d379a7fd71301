import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { ConsoleSessionsService } from './console-sessions.service.js';

@Injectable()
export class ConsoleJobs {
  private readonly logger = new Logger(ConsoleJobs.name);

  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly environment: Environment,
    private readonly metrics: MetricsService,
  ) {}

  /** Hourly; deleting old rows is idempotent, so instances running it at once do no harm. */
  @Cron(CronExpression.EVERY_HOUR, { name: 'console.purge-sessions' })
  async purgeSessions(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      await this.metrics.timeJob('console.purge-sessions', () => this.sessions.purgeOldSessions());
    } catch (error) {
      this.logger.error(
        `console session purge failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
