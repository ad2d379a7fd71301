import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { AuditRetentionService } from './audit-retention.service.js';

@Injectable()
export class AuditJobs {
  private readonly logger = new Logger(AuditJobs.name);

  constructor(
    private readonly retention: AuditRetentionService,
    private readonly environment: Environment,
    private readonly metrics: MetricsService,
  ) {}

  /** Daily: create the coming months' partitions and drop months past retention (one instance, advisory lock). */
  @Cron('17 3 * * *', { name: 'audit-retention', timeZone: 'UTC' })
  async retain(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      await this.metrics.timeJob('audit-retention', () => this.retention.run());
    } catch (error) {
      this.logger.error(
        `audit retention failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
