import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Environment } from '../../common/config/environment.js';
import type { AuditContent } from './audit-chain.js';
import { AuditRepository } from './audit.repository.js';

type Content = Omit<AuditContent, 'id' | 'occurredAt'>;

interface Pending {
  content: Content;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** PostgreSQL's error when no partition accepts a row (the months ahead were not created). */
export function isMissingPartition(error: unknown): boolean {
  return error instanceof Error && /no partition of relation/i.test(error.message);
}

/**
 * Group commit for audit events: events of concurrent requests wait at most AUDIT_BATCH_WINDOW_MS
 * (or until AUDIT_BATCH_MAX_EVENTS) and are written by one transaction with one multi-row INSERT.
 * One write is in flight per process; events arriving meanwhile form the next batch. Each
 * caller's promise settles only when its batch committed (or failed), so a response never leaves
 * before its event is durable.
 */
@Injectable()
export class AuditBatchWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditBatchWriter.name);
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly repository: AuditRepository,
    private readonly environment: Environment,
  ) {}

  enqueue(content: Content): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ content, resolve, reject });
      this.schedule();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Requests still waiting for their events get them written before the pool closes.
    while (this.writing || this.queue.length > 0) {
      if (!this.writing) this.flush();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing) return; // the write in flight starts the next one when it ends
    if (this.queue.length >= this.environment.AUDIT_BATCH_MAX_EVENTS || this.environment.AUDIT_BATCH_WINDOW_MS === 0) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.environment.AUDIT_BATCH_WINDOW_MS);
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.environment.AUDIT_BATCH_MAX_EVENTS);
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      // These events already waited for a whole write: no further window.
      if (this.queue.length > 0) this.flush();
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    const contents = batch.map((pending) => pending.content);
    try {
      try {
        await this.repository.transaction((tx) => this.repository.appendEvents(tx, contents));
      } catch (error) {
        if (!isMissingPartition(error)) throw error;
        // The months ahead were not created (jobs off, long uptime): create them and retry once.
        this.logger.warn('audit partition for the current month was missing; creating it');
        await this.repository.ensurePartitions(null, this.environment.AUDIT_PARTITIONS_AHEAD_MONTHS + 1);
        await this.repository.transaction((tx) => this.repository.appendEvents(tx, contents));
      }
      for (const pending of batch) pending.resolve();
    } catch (error) {
      this.logger.error(`audit batch of ${batch.length} failed: ${error instanceof Error ? error.message : String(error)}`);
      for (const pending of batch) pending.reject(error);
    }
  }
}
