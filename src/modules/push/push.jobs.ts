import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Environment } from '../../common/config/environment.js';
import { PushAdminService } from './push-admin.service.js';

@Injectable()
export class PushJobs {
  private readonly logger = new Logger(PushJobs.name);

  constructor(
    private readonly service: PushAdminService,
    private readonly environment: Environment,
  ) {}

  /** Subscriptions past their end time or sink token expiry end; SKIP LOCKED lets instances share the work. */
  @Cron(CronExpression.EVERY_30_SECONDS)
  async endExpiredSubscriptions(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      const ended = await this.service.endExpired();
      if (ended > 0) this.logger.log(`${ended} subscriptions ended (expiry or sink token expiry)`);
    } catch (error) {
      this.logger.error(
        `ending expired subscriptions failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
