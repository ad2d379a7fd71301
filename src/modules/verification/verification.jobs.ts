import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { VerificationRepository } from './verification.repository.js';

// Enrichment sessions are kept a day for the web variant and support questions; proofs live minutes.
const SESSION_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Removes spent-proof markers and enrichment sessions nobody can use any more. */
@Injectable()
export class VerificationJobs {
  private readonly logger = new Logger(VerificationJobs.name);

  constructor(
    private readonly repository: VerificationRepository,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async purgeScheduled(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    const result = await this.metrics.timeJob('verification.purge', () => this.purge());
    if (result)
      this.logger.log(
        `purged ${result.proofs} spent proofs and ${result.sessions} enrichment sessions`,
      );
  }

  /**
   * A spent-proof row is needed only while its proof could still pass the expiry check (which
   * runs before spending), so anything older than the proof lifetime plus a margin can go.
   * Returns undefined when another instance holds the job's lock.
   */
  purge(): Promise<{ proofs: number; sessions: number } | undefined> {
    const now = this.clock.now().getTime();
    return this.repository.purge(
      new Date(now - (this.environment.PROOF_TTL_SECONDS * 1000 + 60 * 60 * 1000)),
      new Date(now - SESSION_RETENTION_MS),
    );
  }
}
