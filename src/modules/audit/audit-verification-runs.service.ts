import { randomUUID } from 'node:crypto';
import { afterRequestCommit } from '../../common/database/request-transaction.js';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import {
  AuditIntegrityService,
  type IntegrityReport,
  type VerifyOptions,
} from './audit-integrity.service.js';
import {
  AuditVerificationRunsRepository,
  type AuditVerificationRun,
} from './audit-verification-runs.repository.js';
import { AuditService } from './audit.service.js';

/** Who asked for a check; the run's audit event names them as its actor. */
export interface VerificationRequester {
  type: 'console_user' | 'admin' | 'system';
  id?: string;
  correlationId?: string;
}

type VerificationRunStatus = 'running' | 'passed' | 'failed' | 'error' | 'abandoned';

export interface VerificationRunView {
  id: string;
  status: VerificationRunStatus;
  requestedBy: { type: string; id: string | null };
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  checkedEvents: number;
  /** 0 until the run has read the chain head. */
  totalEvents: number;
  fromPosition: string | null;
  headPosition: string | null;
  headHash: string | null;
  firstBroken: IntegrityReport['firstBroken'];
  error: string | null;
}

/** A running check whose heartbeat is older than this died with its process. */
const STALE_AFTER_MS = 120_000;
/** Progress is written at most this often (a 10-million-event check reports every chunk otherwise). */
const PROGRESS_EVERY_MS = 500;

/**
 * Chain checks as stored runs: started from the console (in the background, with progress) or
 * the CLI (`audit:verify`, waited for), so the last result and a long run's progress can be shown
 * anywhere. One check at a time: starting while one runs returns the running one. A run's end and
 * its `audit.verify` event commit together.
 */
@Injectable()
export class AuditVerificationRunsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditVerificationRunsService.name);
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly repository: AuditVerificationRunsRepository,
    private readonly integrity: AuditIntegrityService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Starts a check in the background (or returns the one already running). */
  async start(requester: VerificationRequester): Promise<VerificationRunView> {
    const { run, created } = await this.begin(requester);
    if (created) {
      // Started once the run's row is committed (the request may run in a transaction), and
      // outside that transaction: the check outlives the request.
      afterRequestCommit(() => {
        const work = this.execute(run.id, requester).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      });
    }
    return this.view(run);
  }

  /** Runs a check to its end (CLI). */
  async runToCompletion(
    requester: VerificationRequester,
    onProgress?: VerifyOptions['onProgress'],
  ): Promise<{ run: VerificationRunView; report: IntegrityReport | undefined }> {
    const { run } = await this.begin(requester, true);
    const report = await this.execute(run.id, requester, onProgress);
    const finished = await this.repository.findById(run.id);
    return { run: this.view(finished ?? run), report };
  }

  async get(id: string): Promise<VerificationRunView | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const run = await this.repository.findById(id);
    return run ? this.view(run) : undefined;
  }

  /** The newest run, running or not, and the newest finished one (the last result). */
  async latest(): Promise<{
    latest: VerificationRunView | null;
    lastFinished: VerificationRunView | null;
  }> {
    const [latest, lastFinished] = await Promise.all([
      this.repository.findLatest(),
      this.repository.findLatest(['PASSED', 'FAILED', 'ERROR']),
    ]);
    return {
      latest: latest ? this.view(latest) : null,
      lastFinished: lastFinished ? this.view(lastFinished) : null,
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    // A check in flight finishes (seconds even for millions of events) before the pool closes.
    await Promise.allSettled([...this.inFlight]);
  }

  private begin(
    requester: VerificationRequester,
    always = false,
  ): Promise<{ run: AuditVerificationRun; created: boolean }> {
    return this.repository.transaction(async (tx) => {
      await this.repository.lockStarts(tx);
      const running = await this.repository.findLatest(['RUNNING'], tx);
      if (!always && running && !this.isStale(running)) return { run: running, created: false };
      const run = await this.repository.create(
        {
          id: randomUUID(),
          requestedByType: requester.type,
          requestedById: requester.id,
          now: this.clock.now(),
        },
        tx,
      );
      return { run, created: true };
    });
  }

  private async execute(
    id: string,
    requester: VerificationRequester,
    onProgress?: VerifyOptions['onProgress'],
  ): Promise<IntegrityReport | undefined> {
    let progress = { checked: 0, total: 0 };
    let written = '';
    // The check reports progress synchronously; a timer writes the latest to the run row (the heartbeat too).
    const writeProgress = async (): Promise<void> => {
      const key = `${progress.checked}/${progress.total}`;
      if (key === written) return;
      written = key;
      await this.repository.recordProgress(id, progress, this.clock.now());
    };
    const timer = setInterval(() => {
      writeProgress().catch((error: unknown) => {
        this.logger.warn(
          `progress of run ${id} not written: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    }, PROGRESS_EVERY_MS);
    try {
      const report = await this.integrity.verify({
        onProgress: (checked, total) => {
          progress = { checked, total };
          onProgress?.(checked, total);
        },
      });
      clearInterval(timer);
      const fromPosition = report.fromPosition === null ? null : BigInt(report.fromPosition);
      const total =
        fromPosition === null ? 0 : Number(BigInt(report.headPosition) - fromPosition + 1n);
      await this.repository.transaction(async (tx) => {
        await this.repository.finish(
          id,
          {
            status: report.ok ? 'PASSED' : 'FAILED',
            checked: report.checkedEvents,
            total,
            fromPosition,
            headPosition: BigInt(report.headPosition),
            headHash: report.headHash,
            firstBroken: report.firstBroken,
            error: null,
          },
          this.clock.now(),
          tx,
        );
        await this.audit.record(
          {
            action: 'audit.verify',
            contract: requester.type === 'system' ? 'system' : 'admin',
            actorType: requester.type,
            actorId: requester.id,
            correlationId: requester.correlationId,
            outcome: report.ok ? 'success' : 'failure',
            errorCode: report.ok ? undefined : 'CHAIN_BROKEN',
            detail: {
              runId: id,
              ok: report.ok,
              checkedEvents: report.checkedEvents,
              headPosition: report.headPosition,
              headHash: report.headHash,
              firstBroken: report.firstBroken,
            },
          },
          tx,
        );
      });
      return report;
    } catch (error) {
      clearInterval(timer);
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`audit verification run ${id} failed: ${message}`);
      await this.repository
        .transaction(async (tx) => {
          await this.repository.finish(
            id,
            {
              status: 'ERROR',
              checked: progress.checked,
              total: progress.total,
              fromPosition: null,
              headPosition: null,
              headHash: null,
              firstBroken: null,
              error: 'The check could not read the audit trail; see the gateway log.',
            },
            this.clock.now(),
            tx,
          );
          await this.audit.record(
            {
              action: 'audit.verify',
              contract: requester.type === 'system' ? 'system' : 'admin',
              actorType: requester.type,
              actorId: requester.id,
              correlationId: requester.correlationId,
              outcome: 'failure',
              errorCode: 'CHECK_FAILED',
              detail: { runId: id },
            },
            tx,
          );
        })
        .catch((finishError: unknown) => {
          this.logger.error(
            `could not record the end of run ${id}: ${finishError instanceof Error ? finishError.message : String(finishError)}`,
          );
        });
      return undefined;
    }
  }

  private isStale(run: AuditVerificationRun): boolean {
    return this.clock.now().getTime() - run.updatedAt.getTime() > STALE_AFTER_MS;
  }

  private view(run: AuditVerificationRun): VerificationRunView {
    const status =
      run.status === 'RUNNING'
        ? this.isStale(run)
          ? 'abandoned'
          : 'running'
        : (run.status.toLowerCase() as VerificationRunStatus);
    return {
      id: run.id,
      status,
      requestedBy: { type: run.requestedByType, id: run.requestedById },
      startedAt: run.startedAt.toISOString(),
      updatedAt: run.updatedAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      checkedEvents: Number(run.checkedEvents),
      totalEvents: Number(run.totalEvents),
      fromPosition: run.fromPosition?.toString() ?? null,
      headPosition: run.headPosition?.toString() ?? null,
      headHash: run.headHash,
      firstBroken: (run.firstBroken ?? null) as IntegrityReport['firstBroken'],
      error: run.error,
    };
  }
}
