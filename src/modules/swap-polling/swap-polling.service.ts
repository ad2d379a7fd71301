import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { AuditFacts } from '../../common/http/audit-facts.js';
import { PushService, type DuePollWithNumber, type PollOutcome } from '../push/push.service.js';
import { SimSwapService } from '../sim-swap/sim-swap.service.js';

/** Requests in flight to one operator during a tick. */
const LANES_PER_OPERATOR = 4;

export interface PollTickReport {
  /** Distinct numbers asked (one call serves every subscription to the same number and kind). */
  asked: number;
  failed: number;
  outcomes: Record<PollOutcome, number>;
}

/**
 * Where the `swapped` events of `camara` operators come from: each tick asks the operator's
 * retrieve-date (through SimSwapService, so routing, tokens, deadline and circuit breaker are
 * those of a client's lookup) for the subscribed numbers that are due, and push records what
 * each answer means for its subscriptions. At most PUSH_CAMARA_POLL_MAX_PER_TICK subscriptions per
 * operator per tick, on one instance at a time (advisory lock). A failed call changes nothing but
 * the due time: the number is asked again at the next tick, so no swap is lost, only noticed later.
 */
@Injectable()
export class SwapPollingService {
  private readonly logger = new Logger(SwapPollingService.name);

  constructor(
    private readonly push: PushService,
    private readonly simSwap: SimSwapService,
  ) {}

  /** One tick; undefined when another instance is running one. */
  pollDue(): Promise<PollTickReport | undefined> {
    return this.push.withPollLock(async () => {
      const report: PollTickReport = {
        asked: 0,
        failed: 0,
        outcomes: { activated: 0, swapped: 0, unchanged: 0, not_live: 0 },
      };
      const byOperator = new Map<string, Map<string, DuePollWithNumber[]>>();
      for (const poll of await this.push.duePolls()) {
        const numbers = byOperator.get(poll.operatorId) ?? new Map<string, DuePollWithNumber[]>();
        byOperator.set(poll.operatorId, numbers);
        const key = `${poll.kind}:${poll.phoneHash}`;
        numbers.set(key, [...(numbers.get(key) ?? []), poll]);
      }
      const failed: string[] = [];
      await Promise.all(
        [...byOperator.values()].map(async (numbers) => {
          const queue = [...numbers.values()];
          await Promise.all(
            Array.from({ length: Math.min(LANES_PER_OPERATOR, queue.length) }, async () => {
              for (let next = queue.shift(); next; next = queue.shift())
                await this.pollNumber(next, report, failed);
            }),
          );
        }),
      );
      await this.push.deferPolls(failed);
      return report;
    });
  }

  /** One retrieve-date for one number and kind, recorded on each subscription to it. */
  private async pollNumber(
    subscriptions: DuePollWithNumber[],
    report: PollTickReport,
    failed: string[],
  ): Promise<void> {
    const [first] = subscriptions;
    const facts: AuditFacts = {};
    const correlationId = `push-poll-${randomUUID()}`;
    report.asked += 1;
    let latestChange: Date | null;
    try {
      const date = await this.simSwap.retrieveDate(first.kind, first.phoneNumber, {
        contract: 'camara',
        facts,
        correlationId,
        clientEnvironment: 'LIVE',
      });
      latestChange = date.latestChange;
    } catch (error) {
      report.failed += subscriptions.length;
      failed.push(...subscriptions.map((subscription) => subscription.id));
      // No number in the log line: the subscription id is enough to find it.
      this.logger.warn(
        `retrieve-date poll for subscription ${first.id} (operator ${first.operatorId}) failed: ${describe(error)}`,
      );
      return;
    }
    for (const subscription of subscriptions) {
      try {
        const outcome = await this.push.recordPoll(subscription, latestChange, {
          correlationId,
          operatorId: facts.operatorId,
          upstream: facts.upstream,
        });
        report.outcomes[outcome] += 1;
      } catch (error) {
        // Not recorded: still due, so the next tick asks again.
        report.failed += 1;
        this.logger.error(
          `poll of subscription ${subscription.id} not recorded: ${describe(error)}`,
        );
      }
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 200);
  return 'unknown error';
}
