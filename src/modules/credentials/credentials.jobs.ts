import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { CredentialsMaintenanceService } from './credentials-maintenance.service.js';

@Injectable()
export class CredentialsJobs {
  private readonly logger = new Logger(CredentialsJobs.name);

  constructor(
    private readonly maintenance: CredentialsMaintenanceService,
    private readonly environment: Environment,
    private readonly metrics: MetricsService,
  ) {}

  /** Every minute, so a grace period ends within a minute of its time (the guard enforces it exactly anyway). */
  @Cron(CronExpression.EVERY_MINUTE, { name: 'credentials.rotate-due' })
  async rotateDue(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      await this.metrics.timeJob('credentials.rotate-due', () => this.maintenance.runDue());
    } catch (error) {
      this.logger.error(
        `credentials job failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
