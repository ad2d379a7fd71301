import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { ServerSecrets } from '../../common/config/server-secrets.js';
import { hashPhoneNumber } from '../audit/audit-event.js';
import type { UnitWrite } from '../audit/audit.service.js';
import { EventTypes } from './dto/subscription.dto.js';
import { SWAP_EVENT_COUNTS, SWAP_NOTIFICATIONS, type SwapKindValue } from './push.repository.js';

/** What other modules ask of push: the outbox rows of a swap, to commit in their own unit of work. */
@Injectable()
export class PushService {
  constructor(
    private readonly secrets: ServerSecrets,
    private readonly clock: Clock,
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
}
