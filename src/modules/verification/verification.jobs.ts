import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { ProofKeysService } from './proof-keys.service.js';
import { VerificationRepository } from './verification.repository.js';

// Enrichment sessions are kept a day for the web variant and support questions; proofs live minutes.
const SESSION_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Removes spent-proof markers and enrichment sessions nobody can use any more, and rolls the
 * proof key when it is older than PROOF_KEY_MAX_AGE_HOURS.
 */
@Injectable()
export class VerificationJobs {
  private readonly logger = new Logger(VerificationJobs.name);

  constructor(
    private readonly repository: VerificationRepository,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly proofKeys: ProofKeysService,
  ) {}

  /** Every minute, as the credentials job that did it before (a due key is rolled within a minute). */
  @Cron(CronExpression.EVERY_MINUTE, { name: 'verification.proof-key-roll' })
  async rollProofKeyScheduled(): Promise<void> {
    if (!this.environment.JOBS_ENABLED) return;
    try {
      await this.metrics.timeJob('verification.proof-key-roll', () => this.proofKeys.rollIfDue());
    } catch (error) {
      this.logger.error(
        `proof-key roll failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

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
