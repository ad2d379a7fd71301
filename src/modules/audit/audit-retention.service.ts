import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { DatabaseLock, tryLock } from '../../common/database/database-locks.js';
import { AuditService } from './audit.service.js';
import { AuditRepository } from './audit.repository.js';

const DAY_MS = 86_400_000;
/** PCI DSS 10.5.1: at least twelve months of audit history. */
const MIN_RETENTION_DAYS = 365;

export interface RetentionResult {
  /** True when another instance held the lock: nothing was done here. */
  skipped: boolean;
  retentionDays: number;
  cutoff: string;
  droppedPartitions: string[];
  droppedFrom: string | null;
  droppedTo: string | null;
  /** Last chain position in the dropped range; verification starts after it. */
  throughPosition: string | null;
  partitionsCreated: number;
}

/**
 * Keeps the audit table's monthly partitions: creates coming months ahead and drops whole months
 * past the retention policy, recording in the same transaction an event naming the dropped range
 * and the chain position it ends at, so the retained chain stays verifiable. The policy lives in
 * the database, set by its owner (`audit:retention-policy`): the application role can neither
 * shorten it nor drop a month inside it (`audit_drop_partition` refuses).
 */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditRetentionService.name);

  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ensurePartitions();
    } catch (error) {
      // Not fatal: the writer creates a missing month itself, and the daily job retries.
      this.logger.warn(
        `could not create coming audit partitions: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** The monthly partitions that exist, oldest first (for the console's retention view). */
  partitions(): Promise<{ name: string; from: string; to: string }[]> {
    return this.repository.listPartitions().then((list) =>
      list.map((partition) => ({
        name: partition.name,
        from: partition.from.toISOString(),
        to: partition.to.toISOString(),
      })),
    );
  }

  ensurePartitions(): Promise<number> {
    return this.repository.ensurePartitions(
      null,
      this.environment.AUDIT_PARTITIONS_AHEAD_MONTHS + 1,
    );
  }

  /** Sets the retention policy, in force from now on (the database owner only: the application role may read it, not change it). */
  async setPolicy(retentionDays: number, allowShort: boolean, setBy: string): Promise<void> {
    if (!Number.isInteger(retentionDays) || retentionDays < 1)
      throw new Error('--days must be a whole number of days, at least 1');
    if (retentionDays < MIN_RETENTION_DAYS && !allowShort) {
      throw new Error(
        `a retention under ${MIN_RETENTION_DAYS} days breaks PCI DSS 10.5.1; pass --allow-short on a test system`,
      );
    }
    await this.repository.setRetentionPolicy(retentionDays, setBy);
  }

  currentRetentionDays(): Promise<number> {
    return this.repository.currentRetentionDays();
  }

  /** `onProgress` hears the events dropped so far of those to drop (planner estimates: a drop is not counted row by row). */
  async run(onProgress?: (dropped: number, total: number) => void): Promise<RetentionResult> {
    const retentionDays = await this.repository.currentRetentionDays();
    const cutoff = new Date(this.clock.now().getTime() - retentionDays * DAY_MS);
    const partitionsCreated = await this.ensurePartitions();
    const base: RetentionResult = {
      skipped: false,
      retentionDays,
      cutoff: cutoff.toISOString(),
      droppedPartitions: [],
      droppedFrom: null,
      droppedTo: null,
      throughPosition: null,
      partitionsCreated,
    };
    return this.repository.transaction(async (tx) => {
      if (!(await tryLock(tx, DatabaseLock.AuditRetention))) return { ...base, skipped: true };
      // Dropping waits for readers of the table; give up rather than stall every writer behind it.
      await this.repository.setLockTimeout(tx, 10_000);
      const expired = (await this.repository.listPartitions(tx)).filter(
        (partition) => partition.to <= cutoff,
      );
      if (expired.length === 0) return base;
      const names = expired.map((partition) => partition.name);
      const last = await this.repository.lastPositionIn(tx, names);
      const firstKept = await this.repository.firstPositionOutside(tx, names);
      if (last && firstKept && BigInt(firstKept) <= BigInt(last.position)) {
        throw new Error(
          'audit retention refused: the partitions to drop interleave with retained chain positions (clock went backwards?)',
        );
      }
      const result: RetentionResult = {
        ...base,
        droppedPartitions: names,
        droppedFrom: expired[0].from.toISOString(),
        droppedTo: expired[expired.length - 1].to.toISOString(),
        throughPosition: last?.position ?? null,
      };
      // Dropped first, the event appended last: the chain head is locked only for the commit.
      const estimates = onProgress
        ? await this.repository.estimatedRows(tx, names)
        : new Map<string, number>();
      const total = [...estimates.values()].reduce((sum, rows) => sum + rows, 0);
      let dropped = 0;
      onProgress?.(0, total);
      for (const name of names) {
        await this.repository.dropPartition(tx, name);
        dropped += estimates.get(name) ?? 0;
        onProgress?.(dropped, total);
      }
      await this.audit.record(
        {
          action: 'audit.retention',
          contract: 'system',
          actorType: 'system',
          actorId: 'audit-retention',
          outcome: 'success',
          detail: {
            retentionDays,
            cutoff: result.cutoff,
            droppedFrom: result.droppedFrom,
            droppedTo: result.droppedTo,
            partitions: names,
            throughPosition: last?.position ?? null,
            throughHash: last?.hash ?? null,
          },
        },
        tx,
      );
      this.logger.log(
        `audit retention dropped ${names.join(', ')} (through position ${last?.position ?? 'none'})`,
      );
      return result;
    }, 120_000);
  }
}
