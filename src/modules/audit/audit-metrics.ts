import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { AuditRepository } from './audit.repository.js';

/** Longest a scrape waits for the chain head: a stalled database must not stall the scrape. */
const HEAD_READ_TIMEOUT_MS = 1_000;

/**
 * The audit trail's metrics: group-commit batch sizes and commit latency (reported by the batch
 * writer), its queue, and the chain head's position (read on each scrape).
 */
@Injectable()
export class AuditMetrics {
  private readonly batchSize: Histogram<'result'>;
  private readonly commitDuration: Histogram<'result'>;
  private queueDepth: () => number = () => 0;
  private stalledMs: () => number = () => 0;

  constructor(metrics: MetricsService, repository: AuditRepository) {
    const registers = [metrics.registry];
    this.batchSize = new Histogram({
      name: 'gateway_audit_batch_size',
      help: 'Units of work (audit events) committed by one group-commit statement, by result (ok, failed).',
      labelNames: ['result'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
      registers,
    });
    this.commitDuration = new Histogram({
      name: 'gateway_audit_commit_duration_seconds',
      help: 'Duration of one group-commit statement (claims, writes and events of a batch), by result.',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const queue: Gauge = new Gauge({
      name: 'gateway_audit_queue_depth',
      help: 'Units of work waiting for the next group-commit statement.',
      registers,
      collect: () => {
        queue.set(this.queueDepth());
      },
    });
    const stalled: Gauge = new Gauge({
      name: 'gateway_audit_stalled_seconds',
      help: 'How long the group-commit statement in flight has been running (0 when idle).',
      registers,
      collect: () => {
        stalled.set(this.stalledMs() / 1000);
      },
    });
    new Gauge({
      name: 'gateway_audit_chain_head_position',
      help: 'Position of the last event in the audit hash chain (all instances): its rate is the trail’s growth.',
      registers,
      async collect(): Promise<void> {
        let timer: NodeJS.Timeout | undefined;
        try {
          const head = await Promise.race([
            repository.readHead(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                reject(new Error('timed out'));
              }, HEAD_READ_TIMEOUT_MS);
            }),
          ]);
          this.set(Number(head.position));
        } catch {
          // Unreadable now (database down): the last position read stays, and readiness says why.
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }

  /** The batch writer's queue and stall, read on each scrape. */
  watchWriter(queueDepth: () => number, stalledMs: () => number): void {
    this.queueDepth = queueDepth;
    this.stalledMs = stalledMs;
  }

  batchCommitted(size: number, seconds: number, ok: boolean): void {
    const result = ok ? 'ok' : 'failed';
    this.batchSize.labels(result).observe(size);
    this.commitDuration.labels(result).observe(seconds);
  }
}
