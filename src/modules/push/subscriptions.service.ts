import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { maskPhoneNumber } from '../../common/phone/phone-number.js';
import { hashPhoneNumber } from '../audit/audit-event.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { OperatorsService } from '../operators/operators.service.js';
import {
  EventTypes,
  type SubscriptionRequestDto,
  type SubscriptionViewDto,
} from './dto/subscription.dto.js';
import { isUuid } from './ids.js';
import { PushCodes, PushErrors } from './push.errors.js';
import {
  PushRepository,
  type NewSubscription,
  type SubscriptionRow,
  type SwapKindValue,
} from './push.repository.js';
import { SinkPolicy } from './sink-policy.js';

/** The sealed sink credential: the token only (its type is always bearer). */
interface SealedCredential {
  accessToken: string;
}

/**
 * CAMARA swap subscriptions of one client: create, read, list, delete. Every change commits with
 * the request's audit event in one transaction (RequestAudit.transaction), and a deletion writes
 * its `subscription-ended` event to the outbox in that same transaction.
 */
@Injectable()
export class SubscriptionsService {
  readonly sinks: SinkPolicy;

  constructor(
    private readonly repository: PushRepository,
    private readonly audit: RequestAudit,
    private readonly operators: OperatorsService,
    private readonly box: SecretBox,
    private readonly secrets: ServerSecrets,
    private readonly clock: Clock,
    environment: Environment,
  ) {
    this.sinks = new SinkPolicy(environment.PUSH_SINK_ALLOWED_HOSTS, environment.isProduction);
  }

  async create(
    ctx: RequestContext,
    clientId: string,
    kind: SwapKindValue,
    body: SubscriptionRequestDto,
  ): Promise<SubscriptionViewDto> {
    const now = this.clock.now();
    const types = EventTypes[kind];
    if (body.types.length !== 1 || body.types[0] !== types.swapped) {
      throw PushErrors.invalidArgument(`types must be ["${types.swapped}"]`);
    }
    const refusal = this.sinks.refusal(body.sink);
    if (refusal) throw PushErrors.invalidSink(refusal);
    const expiresAt =
      body.config.subscriptionExpireTime === undefined
        ? null
        : new Date(body.config.subscriptionExpireTime);
    if (expiresAt && expiresAt.getTime() <= now.getTime())
      throw PushErrors.invalidArgument('subscriptionExpireTime must be in the future');
    const credential = body.sinkCredential;
    const tokenExpiresAt = credential ? new Date(credential.accessTokenExpiresUtc) : null;
    if (tokenExpiresAt && tokenExpiresAt.getTime() <= now.getTime()) {
      throw PushErrors.invalidCredential('accessTokenExpiresUtc must be in the future');
    }
    const phoneNumber = body.config.subscriptionDetail.phoneNumber;
    if (phoneNumber === undefined) throw PushErrors.missingIdentifier();
    ctx.audit.phoneNumber = phoneNumber;
    const operator = await this.operators.routeByPhoneNumber(phoneNumber);
    const caller = ctx.caller;
    const live = caller?.kind !== 'client' || caller.environment === 'LIVE';
    // As for checks: a LIVE client is never served from a sandbox operator's made-up data.
    if (!operator || (operator.adapterKind === 'sandbox' && live))
      throw PushErrors.identifierNotFound();
    ctx.audit.operatorId = operator.id;
    if (operator.adapterKind !== 'sandbox' && operator.adapterKind !== 'camara')
      throw PushErrors.serviceNotApplicable();

    const phone = this.box.seal(phoneNumber);
    const sealedCredential = credential
      ? this.box.seal(
          JSON.stringify({ accessToken: credential.accessToken } satisfies SealedCredential),
        )
      : null;
    const id = randomUUID();
    // Sandbox operators emit events themselves (admin overrides): active at once. A `camara`
    // operator's number is polled (retrieve-date), due at once; its first successful poll
    // remembers the current date and activates the subscription. An operator that offers CAMARA
    // subscriptions is subscribed to upstream instead (swap-upstream); the subscription is
    // activated when that succeeds, and polled from then on if it fails (README "Where events come from").
    const source = operator.swapEvents[kind];
    const polled = source === 'polling';
    const status = source === 'sandbox_override' ? 'ACTIVE' : 'ACTIVATION_REQUESTED';
    const row: NewSubscription = {
      id,
      clientId,
      kind,
      sink: body.sink,
      types: [types.swapped],
      phoneHash: hashPhoneNumber(this.secrets.phoneHashPepper, phoneNumber),
      phoneMasked: maskPhoneNumber(phoneNumber),
      phoneSealed: phone.ciphertext,
      phoneKeyVersion: phone.keyVersion,
      credentialSealed: sealedCredential?.ciphertext ?? null,
      credentialKeyVersion: sealedCredential?.keyVersion ?? null,
      accessTokenExpiresAt: tokenExpiresAt,
      operatorId: operator.id,
      status,
      maxEvents: body.config.subscriptionMaxEvents ?? null,
      startsAt: now,
      expiresAt,
      nextPollAt: polled ? now : null,
    };
    const created = await this.audit.transaction(
      ctx,
      (tx) => this.repository.insertSubscriptionIfNew(tx, row, now),
      (inserted) =>
        inserted
          ? { status: 201, verdict: { subscriptionId: id, status } }
          : { status: 409, errorCode: PushCodes.alreadyExists },
    );
    if (!created) throw PushErrors.alreadyExists();
    return this.view(
      {
        ...row,
        kind: kind === 'sim' ? 'SIM' : 'DEVICE',
        eventCount: 0,
        terminationReason: null,
        createdAt: now,
        updatedAt: now,
        polledAt: null,
        seenChangeAt: null,
        upstreamSubscriptionId: null,
      },
      phoneNumber,
    );
  }

  async get(
    ctx: RequestContext,
    clientId: string,
    kind: SwapKindValue,
    id: string,
  ): Promise<SubscriptionViewDto> {
    const row = isUuid(id) ? await this.repository.findOfClient(id, clientId, kind) : null;
    if (!row) throw PushErrors.notFound();
    ctx.audit.verdict = { subscriptionId: row.id, status: row.status };
    return this.view(row);
  }

  async list(clientId: string, kind: SwapKindValue): Promise<SubscriptionViewDto[]> {
    return (await this.repository.listOfClient(clientId, kind)).map((row) => this.view(row));
  }

  /** DELETED, and `subscription-ended` (SUBSCRIPTION_DELETED) to the sink when it was live, in one transaction with the audit event. */
  async delete(
    ctx: RequestContext,
    clientId: string,
    kind: SwapKindValue,
    id: string,
  ): Promise<void> {
    if (!isUuid(id)) throw PushErrors.notFound();
    const now = this.clock.now();
    const before = await this.audit.transaction(
      ctx,
      async (tx) => {
        const previous = await this.repository.markDeleted(tx, id, clientId, kind, now);
        if (previous === 'ACTIVE' || previous === 'ACTIVATION_REQUESTED') {
          await this.repository.insertDelivery(
            tx,
            {
              subscriptionId: id,
              clientId,
              type: EventTypes[kind].ended,
              terminationReason: 'SUBSCRIPTION_DELETED',
              occurredAt: now,
            },
            now,
          );
        }
        return previous;
      },
      (previous) =>
        previous === undefined
          ? { status: 404, errorCode: PushCodes.notFound }
          : { status: 204, verdict: { subscriptionId: id, status: 'DELETED' } },
    );
    if (before === undefined) throw PushErrors.notFound();
  }

  /** CAMARA's Subscription, from a stored row; the number is unsealed (only its owner reads it). */
  view(row: SubscriptionRow, phoneNumber?: string): SubscriptionViewDto {
    const number =
      phoneNumber ??
      this.box.open({ ciphertext: row.phoneSealed, keyVersion: row.phoneKeyVersion });
    return {
      protocol: 'HTTP',
      sink: row.sink,
      types: row.types,
      config: {
        subscriptionDetail: { phoneNumber: number },
        ...(row.expiresAt ? { subscriptionExpireTime: row.expiresAt.toISOString() } : {}),
        ...(row.maxEvents !== null ? { subscriptionMaxEvents: row.maxEvents } : {}),
      },
      id: row.id,
      startsAt: row.startsAt.toISOString(),
      ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}),
      status: row.status,
    };
  }

  /** The sink's access token of a subscription, for a delivery. */
  accessTokenOf(sealed: string | null, keyVersion: number | null): string | undefined {
    if (sealed === null || keyVersion === null) return undefined;
    return (JSON.parse(this.box.open({ ciphertext: sealed, keyVersion })) as SealedCredential)
      .accessToken;
  }

  phoneNumberOf(sealed: string, keyVersion: number): string {
    return this.box.open({ ciphertext: sealed, keyVersion });
  }
}
