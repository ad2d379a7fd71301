import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import type { UpstreamCall } from '../../common/http/audit-facts.js';
import { AuditService } from '../audit/audit.service.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import { SimSwapService } from '../sim-swap/sim-swap.service.js';
import {
  SwapUpstreamRepository,
  type UpstreamRow,
  type WaitingSubscription,
} from './swap-upstream.repository.js';

/** Client subscriptions taken per tick; the rest wait for the next one. */
const WAITING_PER_TICK = 200;
const UNUSED_PER_TICK = 100;
/** Operator calls in flight during a tick. */
const LANES = 4;

export interface UpstreamTickReport {
  subscribed: number;
  joined: number;
  fellBack: number;
  deleted: number;
}

/** The path of the receiver, below PUSH_UPSTREAM_RECEIVER_URL; the id is the gateway's upstream subscription id. */
export const RECEIVER_PATH = 'sim-swap-subscriptions/v0.3/upstream-notifications';

/**
 * Where the `swapped` events of operators that offer CAMARA SIM Swap Subscriptions come from.
 * Each tick (one instance at a time) subscribes the gateway at the operator for every number a
 * client subscription waits on, one upstream subscription per operator and number shared by all
 * its clients, with the gateway's receiver as sink and a fresh bearer token as sinkCredential. A
 * failed subscribe falls back to polling for those subscriptions, with its reason in the audit
 * trail, so coverage is never lost. An upstream subscription no live client subscription uses
 * any more (deleted, expired, ended) is deleted at the operator.
 */
@Injectable()
export class SwapUpstreamService {
  private readonly logger = new Logger(SwapUpstreamService.name);

  constructor(
    private readonly repository: SwapUpstreamRepository,
    private readonly operators: OperatorsService,
    private readonly simSwap: SimSwapService,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  /** One tick; undefined when another instance is running one. */
  syncDue(): Promise<UpstreamTickReport | undefined> {
    return this.repository.withLock(async () => {
      const report: UpstreamTickReport = { subscribed: 0, joined: 0, fellBack: 0, deleted: 0 };
      const camara = (await this.operators.list()).filter(
        (operator) => operator.adapterKind === 'camara',
      );
      const byId = new Map(camara.map((operator) => [operator.id, operator]));
      const groups = new Map<string, WaitingSubscription[]>();
      for (const waiting of await this.repository.listWaiting(
        [...byId.keys()],
        this.clock.now(),
        WAITING_PER_TICK,
      )) {
        const key = `${waiting.operatorId}:${waiting.phoneHash}`;
        groups.set(key, [...(groups.get(key) ?? []), waiting]);
      }
      // One number's failure (its transaction) leaves it for the next tick without stopping the others.
      const logged = (what: string) => (error: unknown) => {
        this.logger.error(`${what} failed: ${describe(error)}`);
      };
      await inLanes([...groups.values()], (group) =>
        this.subscribeNumber(byId.get(group[0].operatorId), group, report).catch(
          logged(`upstream subscribe of subscription ${group[0].id}`),
        ),
      );
      await inLanes(await this.repository.listUnused(UNUSED_PER_TICK), (row) =>
        this.deleteUnused(byId.get(row.operatorId), row, report).catch(
          logged(`upstream delete of ${row.id}`),
        ),
      );
      return report;
    });
  }

  /** The operator's subscription for one number: joined when one is active, else created; polling when that is impossible. */
  private async subscribeNumber(
    operator: OperatorView | undefined,
    group: WaitingSubscription[],
    report: UpstreamTickReport,
  ): Promise<void> {
    const [first] = group;
    const ids = group.map((subscription) => subscription.id);
    const phoneNumber = this.box.open({
      ciphertext: first.phoneSealed,
      keyVersion: first.phoneKeyVersion,
    });
    const correlationId = `push-upstream-${randomUUID()}`;
    if (!operator || !operator.enabled || operator.swapEvents.sim !== 'upstream_subscription') {
      // The operator stopped offering subscriptions (or the receiver is unset) after these were made.
      await this.fallBack(
        group,
        phoneNumber,
        correlationId,
        first.operatorId,
        'the operator is not configured for upstream subscriptions',
        [],
      );
      report.fellBack += group.length;
      return;
    }
    const now = this.clock.now();
    const existing = await this.repository.findActiveFor(operator.id, first.phoneHash);
    if (existing) {
      await this.repository.transaction(async (tx) => {
        const linked = await this.repository.link(tx, ids, existing.id, now, now);
        await this.audit.record(
          {
            action: 'push.upstream_subscription_joined',
            contract: 'system',
            actorType: 'system',
            actorId: 'push-upstream',
            operatorId: operator.id,
            outcome: 'success',
            phoneNumber,
            correlationId,
            detail: { upstreamSubscriptionId: existing.id, subscriptionIds: linked },
          },
          tx,
        );
      });
      report.joined += group.length;
      return;
    }
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const tokenExpiresAt = new Date(
      now.getTime() + this.environment.PUSH_UPSTREAM_TOKEN_TTL_DAYS * 86_400_000,
    );
    const upstream: UpstreamCall[] = [];
    let upstreamId: string;
    try {
      upstreamId = await this.simSwap.subscribeUpstream(
        operator,
        phoneNumber,
        { sink: this.sinkOf(id), accessToken: token, accessTokenExpiresAt: tokenExpiresAt },
        { correlationId, upstream },
      );
    } catch (error) {
      await this.fallBack(
        group,
        phoneNumber,
        correlationId,
        operator.id,
        describe(error),
        upstream,
      );
      report.fellBack += group.length;
      return;
    }
    const phone = this.box.seal(phoneNumber);
    const sealedToken = this.box.seal(token);
    // If this process dies between the operator's answer and this commit, the operator's
    // subscription posts to an id the gateway does not know (401) until it ends it; the client
    // subscriptions still wait, and the next tick subscribes again.
    await this.repository.transaction(async (tx) => {
      await this.repository.insertActive(
        tx,
        {
          id,
          operatorId: operator.id,
          phoneHash: first.phoneHash,
          phoneSealed: phone.ciphertext,
          phoneKeyVersion: phone.keyVersion,
          tokenSealed: sealedToken.ciphertext,
          tokenKeyVersion: sealedToken.keyVersion,
          tokenExpiresAt,
          upstreamId,
        },
        now,
      );
      const linked = await this.repository.link(tx, ids, id, now, now);
      await this.audit.record(
        {
          action: 'push.upstream_subscribed',
          contract: 'system',
          actorType: 'system',
          actorId: 'push-upstream',
          operatorId: operator.id,
          outcome: 'success',
          phoneNumber,
          correlationId,
          upstream,
          detail: {
            upstreamSubscriptionId: id,
            operatorSubscriptionId: upstreamId,
            subscriptionIds: linked,
          },
        },
        tx,
      );
    });
    report.subscribed += 1;
  }

  private async fallBack(
    group: WaitingSubscription[],
    phoneNumber: string,
    correlationId: string,
    operatorId: string,
    reason: string,
    upstream: UpstreamCall[],
  ): Promise<void> {
    // No number in the log line: the subscription ids are enough to find it.
    this.logger.warn(
      `upstream subscription for ${group.length} subscription(s) (operator ${operatorId}) failed, polling instead: ${reason}`,
    );
    await this.repository.transaction(async (tx) => {
      const polled = await this.repository.fallBackToPolling(
        tx,
        { subscriptionIds: group.map((subscription) => subscription.id) },
        this.clock.now(),
      );
      await this.audit.record(
        {
          action: 'push.upstream_subscribe_failed',
          contract: 'system',
          actorType: 'system',
          actorId: 'push-upstream',
          operatorId,
          outcome: 'failure',
          phoneNumber,
          correlationId,
          upstream,
          detail: { reason, fallback: 'polling', subscriptionIds: polled },
        },
        tx,
      );
    });
  }

  /**
   * Deletes an upstream subscription nothing uses any more. When the operator cannot be reached
   * it is marked deleted all the same: its notifications are then answered 410, which tells the
   * operator to stop (CAMARA), instead of a retry loop here.
   */
  private async deleteUnused(
    operator: OperatorView | undefined,
    row: UpstreamRow,
    report: UpstreamTickReport,
  ): Promise<void> {
    const phoneNumber = this.box.open({
      ciphertext: row.phoneSealed,
      keyVersion: row.phoneKeyVersion,
    });
    const correlationId = `push-upstream-${randomUUID()}`;
    const upstream: UpstreamCall[] = [];
    let failure: string | undefined;
    if (operator) {
      try {
        await this.simSwap.unsubscribeUpstream(operator, phoneNumber, row.upstreamId, {
          correlationId,
          upstream,
        });
      } catch (error) {
        failure = describe(error);
      }
    } else {
      failure = 'the operator is no longer configured';
    }
    await this.repository.transaction(async (tx) => {
      await this.repository.end(
        tx,
        row.id,
        'deleted',
        failure ? `no live subscription; delete failed: ${failure}` : 'no live subscription',
        this.clock.now(),
      );
      await this.audit.record(
        {
          action: 'push.upstream_unsubscribed',
          contract: 'system',
          actorType: 'system',
          actorId: 'push-upstream',
          operatorId: row.operatorId,
          outcome: failure ? 'failure' : 'success',
          phoneNumber,
          correlationId,
          upstream,
          detail: {
            upstreamSubscriptionId: row.id,
            operatorSubscriptionId: row.upstreamId,
            ...(failure ? { reason: failure } : {}),
          },
        },
        tx,
      );
    });
    report.deleted += 1;
  }

  private sinkOf(id: string): string {
    const base = this.environment.PUSH_UPSTREAM_RECEIVER_URL ?? '';
    return `${base.endsWith('/') ? base : `${base}/`}${RECEIVER_PATH}/${id}`;
  }
}

async function inLanes<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(LANES, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await work(next);
    }),
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 180);
  return 'unknown error';
}
