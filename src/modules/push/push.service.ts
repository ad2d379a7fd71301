import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import type { UpstreamCall } from '../../common/http/audit-facts.js';
import { hashPhoneNumber } from '../audit/audit-event.js';
import { AuditService, type UnitWrite } from '../audit/audit.service.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { EventTypes } from './dto/subscription.dto.js';
import {
  PushRepository,
  SWAP_EVENT_COUNTS,
  SWAP_NOTIFICATIONS,
  type DuePoll,
  type SwapKindValue,
} from './push.repository.js';

/** A subscription due for a retrieve-date poll, with its number in clear for the operator call. */
export interface DuePollWithNumber extends DuePoll {
  phoneNumber: string;
}

/** What a poll did to its subscription. */
export type PollOutcome = 'activated' | 'swapped' | 'unchanged' | 'not_live';

/** What the operator call of a poll was, for the audit event of a change. */
export interface PollCall {
  correlationId: string;
  operatorId?: string;
  upstream?: UpstreamCall[];
}

/** Each next poll is due after 0.5–1.5 times the interval: the mean stays the interval, the load spreads. */
const POLL_JITTER = 0.5;

/** What other modules ask of push: the outbox rows of a swap, and the state of polled subscriptions. */
@Injectable()
export class PushService {
  constructor(
    private readonly repository: PushRepository,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly secrets: ServerSecrets,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  /**
   * The writes that notify every ACTIVE subscription to this number of a swap at `changedAt`. Add
   * them to the unit of work of the change itself (`RequestAudit.commit(ctx, {writes})`): the
   * change, its audit event and its notifications then commit in one statement, or none does.
   */
  swapNotificationWrites(kind: SwapKindValue, phoneNumber: string, changedAt: Date): UnitWrite[] {
    const phoneHash = hashPhoneNumber(this.secrets.phoneHashPepper, phoneNumber);
    const at = this.clock.now().toISOString();
    return [
      {
        kind: SWAP_NOTIFICATIONS,
        row: {
          phone_hash: phoneHash,
          kind,
          swapped_type: EventTypes[kind].swapped,
          ended_type: EventTypes[kind].ended,
          occurred_at: changedAt.toISOString(),
          at,
        },
      },
      { kind: SWAP_EVENT_COUNTS, row: { phone_hash: phoneHash, kind, at } },
    ];
  }

  /** Runs one poll tick on this instance only if no other instance runs one (advisory lock); undefined when skipped. */
  withPollLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    return this.repository.withPollLock(work);
  }

  /** Subscriptions due for a retrieve-date poll now, at most PUSH_CAMARA_POLL_MAX_PER_TICK per operator. */
  async duePolls(): Promise<DuePollWithNumber[]> {
    const due = await this.repository.listDuePolls(
      this.clock.now(),
      this.environment.PUSH_CAMARA_POLL_MAX_PER_TICK,
    );
    return due.map((poll) => ({
      ...poll,
      phoneNumber: this.box.open({
        ciphertext: poll.phoneSealed,
        keyVersion: poll.phoneKeyVersion,
      }),
    }));
  }

  /**
   * Records a successful poll that saw `latestChange`. The first one activates the subscription
   * and remembers the date (no event: it is the baseline). A later date than the remembered one
   * is a swap: its `swapped` event (and `subscription-ended` when it is the last one allowed), the
   * subscription's new state and the audit event commit in one transaction. The remembered date
   * only moves forward, so an operator whose answer flips back (a monitoring window) sends nothing twice.
   */
  async recordPoll(
    poll: DuePollWithNumber,
    latestChange: Date | null,
    call: PollCall,
  ): Promise<PollOutcome> {
    const now = this.clock.now();
    const types = EventTypes[poll.kind];
    return this.repository.transaction(async (tx) => {
      const row = await this.repository.lockForPoll(tx, poll.id);
      const live =
        row !== undefined &&
        (row.status === 'ACTIVE' || row.status === 'ACTIVATION_REQUESTED') &&
        (row.expiresAt === null || row.expiresAt > now);
      if (!live) return 'not_live';
      const first = row.status === 'ACTIVATION_REQUESTED';
      const moved =
        !first &&
        latestChange !== null &&
        (row.seenChangeAt === null || latestChange > row.seenChangeAt);
      const last = moved && row.maxEvents !== null && row.eventCount + 1 >= row.maxEvents;
      let eventId: string | undefined;
      if (moved) {
        eventId = await this.repository.insertDelivery(
          tx,
          {
            subscriptionId: poll.id,
            clientId: poll.clientId,
            type: types.swapped,
            terminationReason: null,
            occurredAt: latestChange,
          },
          now,
        );
      }
      if (last) {
        await this.repository.insertDelivery(
          tx,
          {
            subscriptionId: poll.id,
            clientId: poll.clientId,
            type: types.ended,
            terminationReason: 'MAX_EVENTS_REACHED',
            occurredAt: now,
          },
          now,
        );
      }
      const seenChangeAt =
        latestChange !== null && (row.seenChangeAt === null || latestChange > row.seenChangeAt)
          ? latestChange
          : row.seenChangeAt;
      await this.repository.markPolled(
        tx,
        poll.id,
        {
          seenChangeAt,
          nextPollAt: this.nextPollAt(now),
          status: last ? 'EXPIRED' : 'ACTIVE',
          events: moved ? 1 : 0,
          terminationReason: last ? 'MAX_EVENTS_REACHED' : null,
        },
        now,
      );
      const outcome: PollOutcome = first ? 'activated' : moved ? 'swapped' : 'unchanged';
      if (outcome !== 'unchanged') {
        await this.audit.record(
          {
            action: first ? 'push.subscription_activated' : 'push.swap_detected',
            contract: 'system',
            actorType: 'system',
            actorId: 'push-poll',
            clientId: poll.clientId,
            operatorId: call.operatorId ?? poll.operatorId,
            outcome: 'success',
            phoneNumber: poll.phoneNumber,
            correlationId: call.correlationId,
            upstream: call.upstream,
            detail: {
              subscriptionId: poll.id,
              kind: poll.kind,
              ...(eventId ? { eventId, changedAt: latestChange?.toISOString() } : {}),
              ...(last ? { terminationReason: 'MAX_EVENTS_REACHED' } : {}),
            },
          },
          tx,
        );
      }
      return outcome;
    });
  }

  /** Polls that failed (operator down, timeout, bad answer): due again at the next tick, nothing else changes. */
  deferPolls(ids: string[]): Promise<void> {
    return this.repository.deferPolls(ids, this.clock.now());
  }

  private nextPollAt(now: Date): Date {
    const interval = this.environment.PUSH_CAMARA_POLL_INTERVAL_S * 1000;
    return new Date(
      now.getTime() + Math.round(interval * (1 - POLL_JITTER + 2 * POLL_JITTER * Math.random())),
    );
  }
}
