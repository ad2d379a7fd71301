import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment, EnvironmentError } from '../../common/config/environment.js';
import { AuditService } from './audit.service.js';
import { AuditRepository } from './audit.repository.js';

/** Advisory lock id of the retention job ("audit" in ASCII): one instance at a time. */
const RETENTION_LOCK_ID = 0x61756469;
const DAY_MS = 86_400_000;
/** PCI DSS 10.5.1: at least twelve months of audit history. */
export const MIN_RETENTION_DAYS = 365;

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

/** Refuses, at start-up, a retention shorter than compliance allows unless explicitly overridden. */
export function checkRetentionPolicy(environment: Environment): void {
  if (environment.AUDIT_RETENTION_DAYS < MIN_RETENTION_DAYS && !environment.AUDIT_RETENTION_ALLOW_SHORT) {
    throw new EnvironmentError([
      `AUDIT_RETENTION_DAYS: must be at least ${MIN_RETENTION_DAYS} (PCI DSS 10.5.1); set AUDIT_RETENTION_ALLOW_SHORT=true to override`,
    ]);
  }
}

/**
 * Keeps the audit table's monthly partitions: creates coming months ahead and drops whole months
 * past retention, recording first (in the same transaction) an event naming the dropped range and
 * the chain position it ends at, so the retained chain stays verifiable.
 */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditRetentionService.name);

  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {
    checkRetentionPolicy(environment);
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.ensurePartitions();
    } catch (error) {
      // Not fatal: the writer creates a missing month itself, and the daily job retries.
      this.logger.warn(`could not create coming audit partitions: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  ensurePartitions(): Promise<number> {
    return this.repository.ensurePartitions(null, this.environment.AUDIT_PARTITIONS_AHEAD_MONTHS + 1);
  }

  async run(): Promise<RetentionResult> {
    const retentionDays = this.environment.AUDIT_RETENTION_DAYS;
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
      if (!(await this.repository.tryAdvisoryLock(tx, RETENTION_LOCK_ID))) return { ...base, skipped: true };
      // Dropping waits for readers of the table; give up rather than stall every writer behind it.
      await this.repository.setLockTimeout(tx, 10_000);
      const expired = (await this.repository.listPartitions(tx)).filter((partition) => partition.to <= cutoff);
      if (expired.length === 0) return base;
      const names = expired.map((partition) => partition.name);
      const last = await this.repository.lastPositionIn(tx, names);
      const firstKept = await this.repository.firstPositionOutside(tx, names);
      if (last && firstKept && BigInt(firstKept) <= BigInt(last.position)) {
        throw new Error('audit retention refused: the partitions to drop interleave with retained chain positions (clock went backwards?)');
      }
      const result: RetentionResult = {
        ...base,
        droppedPartitions: names,
        droppedFrom: expired[0].from.toISOString(),
        droppedTo: expired[expired.length - 1].to.toISOString(),
        throughPosition: last?.position ?? null,
      };
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
      for (const name of names) await this.repository.dropPartition(tx, name);
      this.logger.log(`audit retention dropped ${names.join(', ')} (through position ${last?.position ?? 'none'})`);
      return result;
    }, 120_000);
  }
}
