import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { CredentialsRepository } from './credentials.repository.js';

const LAST_USED_EVERY_MS = 60_000;

/**
 * Writes a credential's last-used time at most once a minute per credential and instance, off the
 * request path: a busy key costs one UPDATE a minute, not one per request.
 */
@Injectable()
export class LastUsedRecorder {
  private readonly logger = new Logger(LastUsedRecorder.name);
  private readonly written = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly repository: CredentialsRepository,
  ) {}

  touch(credentialId: string): void {
    const now = this.clock.now();
    const last = this.written.get(credentialId);
    if (last !== undefined && now.getTime() - last < LAST_USED_EVERY_MS) return;
    if (this.written.size > 10_000) this.written.clear();
    this.written.set(credentialId, now.getTime());
    this.repository.touchLastUsed(credentialId, now).catch((error: unknown) => {
      this.logger.warn(
        `could not record last use of a credential: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }
}
