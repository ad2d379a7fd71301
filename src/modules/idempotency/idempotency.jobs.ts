import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { IdempotencyService } from './idempotency.service.js';

@Injectable()
export class IdempotencyJobs {
  private readonly logger = new Logger(IdempotencyJobs.name);

  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly environment: Environment,
  ) {}

  /** Keys older than 24 h are already ignored and reclaimable; this only frees their rows. */
  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'idempotency.purge' })
  async purge(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      const report = await this.idempotency.purgeExpired();
      if (report.keys > 0) this.logger.log(`purged ${report.keys} expired idempotency keys`);
    } catch (error) {
      this.logger.error(
        `idempotency purge failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
