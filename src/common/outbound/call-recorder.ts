import type { UpstreamCall } from '../http/audit-facts.js';

/** One attempt being timed; it is recorded once, by whichever comes first: its end or the deadline. */
export interface RecordedAttempt {
  end(status: number | string): void;
}

/**
 * Writes the audit event's upstream summary (`AuditFacts.upstream`): one entry per attempt at an
 * operator, with its status or failure label and its latency. An attempt that the deadline cut
 * short is recorded once, as 'timeout', however its request ends later.
 */
export class CallRecorder {
  private readonly open = new Set<{ started: number; done: boolean }>();

  constructor(
    private readonly calls: UpstreamCall[],
    private readonly operatorId: string,
  ) {}

  /** Starts timing one attempt. */
  attempt(): RecordedAttempt {
    const state = { started: performance.now(), done: false };
    this.open.add(state);
    return {
      end: (status) => {
        if (state.done) return;
        state.done = true;
        this.open.delete(state);
        this.push(status, state.started);
      },
    };
  }

  /** An outcome that involved no request (breaker open, misconfigured operator). */
  note(status: string): void {
    this.push(status, performance.now());
  }

  /** The deadline passed: every attempt still open is recorded as a timeout. */
  expire(): void {
    for (const state of this.open) {
      state.done = true;
      this.push('timeout', state.started);
    }
    this.open.clear();
  }

  private push(status: number | string, started: number): void {
    this.calls.push({
      operatorId: this.operatorId,
      status,
      latencyMs: Math.max(0, Math.round(performance.now() - started)),
    });
  }
}
