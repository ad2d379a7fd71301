import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import type { RequestContext } from '../../common/http/request-context.js';
import type { UnitWrite } from '../audit/audit.service.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { PushService } from '../push/push.service.js';
import { isRfc3339DateTime } from '../../common/http/rfc3339.js';
import {
  TERMINATION_REASONS,
  UPSTREAM_ENDED,
  UPSTREAM_ENDS_DRAFT,
  UPSTREAM_SWAPPED,
} from './dto/cloud-event.dto.js';
import { SwapUpstreamErrors } from './swap-upstream.errors.js';
import { SwapUpstreamRepository, type UpstreamRow } from './swap-upstream.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Notification =
  | {
      id: string;
      type: typeof UPSTREAM_SWAPPED;
      time: Date;
      subscriptionId: string;
      phoneNumber?: string;
    }
  | {
      id: string;
      type: typeof UPSTREAM_ENDED;
      time: Date;
      subscriptionId: string;
      terminationReason: string;
    };

type Handled =
  | { outcome: 'swapped'; writes: UnitWrite[] }
  | { outcome: 'ended'; polled: string[]; reason: string }
  | { outcome: 'duplicate' }
  | { outcome: 'gone' };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The CloudEvent the operator posted, checked against CAMARA SIM Swap Subscriptions 0.3; the reason when it is not one. */
function parse(body: unknown): Notification | string {
  if (!isRecord(body)) return 'the body is not a JSON object';
  const { id, source, specversion, type, time, datacontenttype, data } = body;
  if (specversion !== '1.0') return 'specversion must be "1.0"';
  if (typeof id !== 'string' || id.length === 0 || id.length > 256)
    return 'id must be a string of 1-256 characters';
  if (typeof source !== 'string' || source.length === 0) return 'source is required';
  if (datacontenttype !== undefined && datacontenttype !== 'application/json')
    return 'datacontenttype must be application/json';
  if (!isRfc3339DateTime(time)) return 'time must be an RFC 3339 date-time';
  if (!isRecord(data) || typeof data.subscriptionId !== 'string')
    return 'data.subscriptionId is required';
  if (type === UPSTREAM_SWAPPED) {
    if (data.phoneNumber !== undefined && typeof data.phoneNumber !== 'string')
      return 'data.phoneNumber must be a string';
    return {
      id,
      type,
      time: new Date(time),
      subscriptionId: data.subscriptionId,
      ...(typeof data.phoneNumber === 'string' ? { phoneNumber: data.phoneNumber } : {}),
    };
  }
  if (type === UPSTREAM_ENDED || type === UPSTREAM_ENDS_DRAFT) {
    const reason = data.terminationReason;
    if (typeof reason !== 'string' || !(TERMINATION_REASONS as readonly string[]).includes(reason))
      return 'data.terminationReason must be a CAMARA termination reason';
    return {
      id,
      type: UPSTREAM_ENDED,
      time: new Date(time),
      subscriptionId: data.subscriptionId,
      terminationReason: reason,
    };
  }
  return `type must be ${UPSTREAM_SWAPPED} or ${UPSTREAM_ENDED}`;
}

/**
 * The receiver of operators' notifications for the gateway's upstream subscriptions. The bearer
 * token is checked first, in constant time, with one answer for every failure; then the
 * CloudEvent. A `swapped` event becomes the same client notifications as a sandbox override or a
 * poll (PushService's outbox writes), committed with the event id (de-duplication) and the
 * request's audit event in one transaction; `subscription-ended` ends the upstream subscription
 * and its client subscriptions are polled from then on.
 */
@Injectable()
export class UpstreamNotificationsService {
  /** Compared against when the id is unknown, so an unknown id costs what a wrong token does. */
  private readonly decoy = randomBytes(32).toString('base64url');

  constructor(
    private readonly repository: SwapUpstreamRepository,
    private readonly audit: RequestAudit,
    private readonly push: PushService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  async receive(
    ctx: RequestContext,
    id: string,
    authorization: string | undefined,
    body: unknown,
  ): Promise<void> {
    const row = UUID.test(id) ? await this.repository.find(id) : null;
    if (!this.authenticates(row, authorization)) throw SwapUpstreamErrors.unauthenticated();
    const phoneNumber = this.box.open({
      ciphertext: row.phoneSealed,
      keyVersion: row.phoneKeyVersion,
    });
    ctx.audit.operatorId = row.operatorId;
    ctx.audit.phoneNumber = phoneNumber;
    ctx.audit.detail = { upstreamSubscriptionId: row.id };
    const event = parse(body);
    if (typeof event === 'string') throw SwapUpstreamErrors.invalidEvent(event);
    ctx.audit.detail = { upstreamSubscriptionId: row.id, eventId: event.id, type: event.type };
    if (event.subscriptionId !== row.upstreamId)
      throw SwapUpstreamErrors.invalidEvent('data.subscriptionId is not this subscription');
    if (
      event.type === UPSTREAM_SWAPPED &&
      event.phoneNumber !== undefined &&
      event.phoneNumber !== phoneNumber
    ) {
      throw SwapUpstreamErrors.invalidEvent(
        'data.phoneNumber is not the number of this subscription',
      );
    }
    const now = this.clock.now();
    const handled = await this.audit.transaction<Handled>(
      ctx,
      async (tx) => {
        // Locked first: a concurrent repeat of this event waits, then finds its id.
        if ((await this.repository.lockStatus(tx, row.id)) !== 'active') return { outcome: 'gone' };
        if (!(await this.repository.recordEvent(tx, row.id, event.id, event.type, now)))
          return { outcome: 'duplicate' };
        if (event.type === UPSTREAM_SWAPPED) {
          await this.repository.rememberChange(tx, row.phoneHash, event.time, now);
          return {
            outcome: 'swapped',
            writes: this.push.swapNotificationWrites('sim', phoneNumber, event.time),
          };
        }
        await this.repository.end(tx, row.id, 'ended', event.terminationReason, now);
        const polled = await this.repository.fallBackToPolling(
          tx,
          { upstreamSubscriptionId: row.id },
          now,
        );
        return { outcome: 'ended', polled, reason: event.terminationReason };
      },
      (result) =>
        result.outcome === 'gone'
          ? { status: 410, errorCode: 'GONE' }
          : {
              status: 204,
              verdict: {
                outcome: result.outcome,
                ...(result.outcome === 'swapped' ? { changedAt: event.time.toISOString() } : {}),
                ...(result.outcome === 'ended'
                  ? {
                      terminationReason: result.reason,
                      fallback: 'polling',
                      subscriptionIds: result.polled,
                    }
                  : {}),
              },
            },
      (result) => (result.outcome === 'swapped' ? result.writes : []),
    );
    if (handled.outcome === 'gone') throw SwapUpstreamErrors.gone();
  }

  /** Hashes make both sides one length, so the comparison's time says nothing about the token. */
  private authenticates(
    row: UpstreamRow | null,
    authorization: string | undefined,
  ): row is UpstreamRow {
    const presented = /^Bearer ([^\s]+)$/i.exec(authorization ?? '')?.[1] ?? '';
    const expected = row
      ? this.box.open({ ciphertext: row.tokenSealed, keyVersion: row.tokenKeyVersion })
      : this.decoy;
    const equal = timingSafeEqual(sha256(presented), sha256(expected));
    return equal && row !== null && presented.length > 0;
  }
}
