import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { decodeCursor, encodeCursor, type Page } from '../../common/http/pagination.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { AuditService } from '../audit/audit.service.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DeliveryService } from './delivery.service.js';
import { isUuid, newKeyId } from './ids.js';
import type {
  DeliveryDetailDto,
  DeliveryDto,
  DeliveryStatusName,
  SigningKeyDto,
} from './dto/push-admin.dto.js';
import { PushCodes, PushErrors } from './push.errors.js';
import { PushRepository, type DeliveryRow } from './push.repository.js';
import { newSigningSecret } from './webhook-signature.js';
import { EventTypes } from './dto/subscription.dto.js';

const STATUS_OF: Record<DeliveryStatusName, 'PENDING' | 'DELIVERED' | 'DEAD' | 'CANCELLED'> = {
  pending: 'PENDING',
  delivered: 'DELIVERED',
  dead: 'DEAD',
  cancelled: 'CANCELLED',
};

/** Admins' view of the outbox (dead letters, attempts, replay), clients' signing keys, and the expiry job. */
@Injectable()
export class PushAdminService {
  constructor(
    private readonly repository: PushRepository,
    private readonly requestAudit: RequestAudit,
    private readonly audit: AuditService,
    private readonly delivery: DeliveryService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  async list(
    filter: { status?: DeliveryStatusName; clientId?: string },
    limit: number,
    cursor?: string,
  ): Promise<Page<DeliveryDto>> {
    const after = cursor ? decodeCursor(cursor, ['s', 's'] as const) : undefined;
    const rows = await this.repository.listDeliveries(
      { status: filter.status ? STATUS_OF[filter.status] : undefined, clientId: filter.clientId },
      limit + 1,
      after ? { createdAt: new Date(after[0]), id: after[1] } : undefined,
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(deliveryView),
      nextCursor:
        rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  async get(id: string): Promise<DeliveryDetailDto> {
    const row = isUuid(id) ? await this.repository.findDelivery(id) : null;
    if (!row) throw PushErrors.notFound();
    return {
      // eslint-disable-next-line @typescript-eslint/no-misused-spread -- deliveryView builds a plain object; DeliveryDto is its OpenAPI schema class
      ...deliveryView(row),
      phoneMasked: row.subscription.phoneMasked,
      attemptLog: row.attemptLog.map((attempt) => ({
        attempt: attempt.attempt,
        startedAt: attempt.startedAt.toISOString(),
        httpStatus: attempt.httpStatus,
        latencyMs: attempt.latencyMs,
        outcome: attempt.outcome,
        error: attempt.error,
      })),
    };
  }

  /** A dead or cancelled event is due again now (one more attempt, then dead again if it fails). With its audit event, in one transaction. */
  async replay(ctx: RequestContext, id: string): Promise<DeliveryDetailDto> {
    if (!isUuid(id)) throw PushErrors.notFound();
    ctx.audit.detail = { eventId: id };
    const replayed = await this.requestAudit.transaction(
      ctx,
      (tx) => this.repository.replay(tx, id, this.clock.now()),
      (row) =>
        row
          ? { status: 200, verdict: { eventId: id, status: 'pending' } }
          : { status: 409, errorCode: PushCodes.notReplayable },
    );
    if (!replayed) {
      if (!(await this.repository.findDelivery(id))) throw PushErrors.notFound();
      throw PushErrors.deliveryNotReplayable();
    }
    return this.get(id);
  }

  /** Replay outside a request (CLI): the same change, with a system audit event in its transaction. */
  async replayFromCli(id: string): Promise<DeliveryDetailDto> {
    if (!isUuid(id)) throw PushErrors.notFound();
    const replayed = await this.repository.transaction(async (tx) => {
      const row = await this.repository.replay(tx, id, this.clock.now());
      await this.audit.record(
        {
          action: 'push.delivery_replay',
          contract: 'system',
          actorType: 'system',
          actorId: 'cli',
          clientId: row?.clientId,
          outcome: row ? 'success' : 'failure',
          detail: { eventId: id },
        },
        tx,
      );
      return row;
    });
    if (!replayed) throw PushErrors.deliveryNotReplayable();
    return this.get(id);
  }

  /** A new signing key for the client (secret shown once); its other keys keep signing during the overlap. */
  async rotateSigningKey(ctx: RequestContext, clientId: string): Promise<SigningKeyDto> {
    const now = this.clock.now();
    const secret = newSigningSecret();
    const sealed = this.box.seal(secret);
    const id = newKeyId();
    const retireAt = new Date(
      now.getTime() + this.environment.PUSH_SIGNING_KEY_OVERLAP_HOURS * 3_600_000,
    );
    ctx.audit.detail = { signingKeyId: id };
    await this.requestAudit.transaction(
      ctx,
      (tx) =>
        this.repository.rotateSigningKey(
          tx,
          { id, clientId, secretSealed: sealed.ciphertext, secretKeyVersion: sealed.keyVersion },
          retireAt,
          now,
        ),
      () => ({ status: 201 }),
    );
    this.delivery.forgetKeys(clientId);
    return {
      id,
      secret,
      createdAt: now.toISOString(),
      previousKeysRetireAt: retireAt.toISOString(),
    };
  }

  /**
   * Ends live subscriptions whose end time has passed (EXPIRED, SUBSCRIPTION_EXPIRED) or whose sink
   * token expires within PUSH_ACCESS_TOKEN_END_LEAD_S (INACTIVE, ACCESS_TOKEN_EXPIRED), with
   * `subscription-ended` in the outbox and a system audit event, all in one transaction. The lead
   * is there because the spec sends that event before the token expires: sent at expiry, it would
   * carry a token the sink already refuses. Answers how many ended.
   */
  async endExpired(limit = 500): Promise<number> {
    const now = this.clock.now();
    const tokenEndsBefore = new Date(
      now.getTime() + this.environment.PUSH_ACCESS_TOKEN_END_LEAD_S * 1000,
    );
    return this.repository.transaction(async (tx) => {
      const due = await this.repository.lockExpired(tx, now, tokenEndsBefore, limit);
      for (const subscription of due) {
        const expired = subscription.reason === 'SUBSCRIPTION_EXPIRED';
        await this.repository.endSubscription(
          tx,
          subscription.id,
          expired ? 'EXPIRED' : 'INACTIVE',
          subscription.reason,
          now,
        );
        await this.repository.insertDelivery(
          tx,
          {
            subscriptionId: subscription.id,
            clientId: subscription.client_id,
            type: EventTypes[subscription.kind].ended,
            terminationReason: subscription.reason,
            occurredAt: now,
          },
          now,
        );
      }
      if (due.length > 0) {
        await this.audit.record(
          {
            action: 'push.subscriptions_ended',
            contract: 'system',
            actorType: 'system',
            actorId: 'push-jobs',
            outcome: 'success',
            detail: {
              subscriptions: due.map((subscription) => ({
                id: subscription.id,
                clientId: subscription.client_id,
                reason: subscription.reason,
              })),
            },
          },
          tx,
        );
      }
      return due.length;
    });
  }
}

function deliveryView(row: DeliveryRow): DeliveryDto {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    clientId: row.clientId,
    type: row.type,
    status: row.status.toLowerCase() as DeliveryStatusName,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    lastHttpStatus: row.lastHttpStatus,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}
