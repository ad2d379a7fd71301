import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { SecretsResealService } from './secrets-reseal.service.js';

@Injectable()
export class SecretsJobs {
  private readonly logger = new Logger(SecretsJobs.name);

  constructor(
    private readonly reseal: SecretsResealService,
    private readonly environment: Environment,
    private readonly metrics: MetricsService,
  ) {}

  /** Every minute, so an old key-encryption key can be removed minutes after a new one is added. */
  @Cron(CronExpression.EVERY_MINUTE, { name: 'secrets.reseal' })
  async resealScheduled(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      await this.metrics.timeJob('secrets.reseal', () => this.reseal.resealAll());
    } catch (error) {
      this.logger.error(
        `secrets job failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
