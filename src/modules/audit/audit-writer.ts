import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { AuditMetrics } from './audit-metrics.js';
import { AuditRepository } from './audit.repository.js';
import { conflictKeys, type PreparedUnit, type UnitOutcome } from './unit-of-work.js';

interface Pending {
  unit: PreparedUnit;
  keys: string[];
  /** `performance.now()` by which the unit must be written or refused; undefined: no deadline. */
  deadline: number | undefined;
  resolve: (outcome: UnitOutcome) => void;
  reject: (error: unknown) => void;
}

/** PostgreSQL's error when no partition accepts a row (the months ahead were not created). */
export function isMissingPartition(error: unknown): boolean {
  return error instanceof Error && /no partition of relation/i.test(error.message);
}

/** The statement failed because of one row's data (class 22 or 23), not because the database is unreachable. */
function isDataError(error: unknown): boolean {
  const failure = error as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  const code = failure?.cause?.code ?? failure?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** A unit that could not be written before its request's deadline: nothing of it was committed. */
export class AuditDeadlineError extends Error {
  constructor() {
    super('the audit write did not start before the request deadline');
    this.name = 'AuditDeadlineError';
  }
}

/**
 * Group commit of units of work. Units of concurrent requests wait at most AUDIT_BATCH_WINDOW_MS
 * (or until AUDIT_BATCH_MAX_EVENTS) and are committed by one statement; one statement is in
 * flight per process, and units arriving meanwhile form the next batch. Each caller's promise
 * settles only when its batch committed (or failed), so no answer leaves before its event is
 * durable. Units that claim the same key (one proof, one upsert row) never share a statement:
 * the later one waits for the next batch, where it sees the earlier one's committed claim.
 */
@Injectable()
export class AuditBatchWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditBatchWriter.name);
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** `performance.now()` when the statement in flight started. */
  private writingSince: number | undefined;

  constructor(
    private readonly repository: AuditRepository,
    private readonly environment: Environment,
    private readonly clock: Clock,
    private readonly metrics: AuditMetrics,
  ) {
    metrics.watchWriter(
      () => this.queue.length,
      () => this.stalledMs(),
    );
  }

  enqueue(unit: PreparedUnit, deadline?: number): Promise<UnitOutcome> {
    return new Promise<UnitOutcome>((resolve, reject) => {
      this.queue.push({ unit, keys: conflictKeys(unit), deadline, resolve, reject });
      this.schedule();
    });
  }

  /**
   * How long the oldest unit has been waiting for its commit, in ms (0 when idle): readiness
   * turns 503 when this passes a threshold, i.e. when the audit trail cannot keep up or is blocked.
   */
  stalledMs(): number {
    return this.writingSince === undefined ? 0 : performance.now() - this.writingSince;
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
    if (
      this.queue.length >= this.environment.AUDIT_BATCH_MAX_EVENTS ||
      this.environment.AUDIT_BATCH_WINDOW_MS === 0
    ) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => {
        this.flush();
      }, this.environment.AUDIT_BATCH_WINDOW_MS);
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.queue.length === 0) return;
    const batch = this.take();
    if (batch.length === 0) return;
    this.writingSince = performance.now();
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      this.writingSince = undefined;
      // These units already waited for a whole write: no further window.
      if (this.queue.length > 0) this.flush();
    });
  }

  /** The next batch: queue order, at most AUDIT_BATCH_MAX_EVENTS, no two units claiming one key. */
  private take(): Pending[] {
    const now = performance.now();
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const claimed = new Set<string>();
    for (const pending of this.queue) {
      if (pending.deadline !== undefined && pending.deadline <= now) {
        pending.reject(new AuditDeadlineError());
      } else if (
        batch.length >= this.environment.AUDIT_BATCH_MAX_EVENTS ||
        pending.keys.some((key) => claimed.has(key))
      ) {
        rest.push(pending);
      } else {
        for (const key of pending.keys) claimed.add(key);
        batch.push(pending);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async write(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const outcomes = await this.append(batch.map((pending) => pending.unit));
      this.metrics.batchCommitted(batch.length, (performance.now() - started) / 1000, true);
      batch.forEach((pending, index) => {
        pending.resolve(outcomes[index]);
      });
    } catch (error) {
      this.metrics.batchCommitted(batch.length, (performance.now() - started) / 1000, false);
      if (batch.length > 1 && isDataError(error)) {
        // One unit's data broke the statement: write each alone, so only that one fails.
        this.logger.warn(
          `an audit batch of ${batch.length} failed on its data; writing its units one by one`,
        );
        for (const pending of batch) await this.write([pending]);
        return;
      }
      this.logger.error(
        `audit batch of ${batch.length} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      for (const pending of batch) pending.reject(error);
    }
  }

  private async append(units: PreparedUnit[]): Promise<UnitOutcome[]> {
    try {
      return await this.repository.appendUnits(units, this.clock.now());
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      // The months ahead were not created (jobs off, long uptime): create them and retry once.
      this.logger.warn('audit partition for the current month was missing; creating it');
      await this.repository.ensurePartitions(
        null,
        this.environment.AUDIT_PARTITIONS_AHEAD_MONTHS + 1,
      );
      return this.repository.appendUnits(units, this.clock.now());
    }
  }
}
