import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { OperatorSinkTokenAuth } from '../../common/auth/auth.decorators.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import { UpstreamNotificationDto } from './dto/cloud-event.dto.js';
import { SwapUpstreamCodes } from './swap-upstream.errors.js';
import { RECEIVER_PATH } from './swap-upstream.service.js';
import { UpstreamNotificationsService } from './upstream-notifications.service.js';

/**
 * Where operators post the notifications of the gateway's own CAMARA subscriptions. No client
 * credential: the operator presents the bearer token the gateway gave it as `sinkCredential`.
 */
@ApiTags(Tags.operatorNotifications)
@Controller(RECEIVER_PATH)
export class UpstreamNotificationsController {
  constructor(private readonly service: UpstreamNotificationsService) {}

  @Post(':upstreamSubscriptionId')
  @OperatorSinkTokenAuth()
  @HttpCode(204)
  @AuditAction('push.upstream_notification')
  // The event id, the client notifications (outbox) and the audit event: one transaction.
  @OwnUnitOfWork()
  @ApiOperation({
    operationId: 'receiveUpstreamSimSwapNotification',
    summary:
      "Receive an operator's CAMARA SIM swap notification (gateway extension, called by operators)",
    description:
      'The sink the gateway gives an operator that offers CAMARA SIM Swap Subscriptions 0.3 (README "Where events come from"). ' +
      'Authorization: `Bearer <the sinkCredential accessToken of this subscription>`, compared in constant time; any failure is the same 401. ' +
      'A `swapped` event notifies every client subscription to the number; a repeated CloudEvent `id` is acknowledged and changes nothing; ' +
      '`subscription-ended` ends the subscription (its numbers are polled from then on). 410: the subscription has ended, send no more.',
  })
  @ApiParam({
    name: 'upstreamSubscriptionId',
    schema: { type: 'string', format: 'uuid' },
    description: "The gateway's id, from the sink URL.",
  })
  @ApiBody({
    type: UpstreamNotificationDto,
    description: 'content-type application/cloudevents+json (or application/json).',
  })
  @ApiNoContentResponse({ description: 'Accepted (or a repeat of an accepted event id).' })
  @ApiErrors({
    400: [SwapUpstreamCodes.invalidArgument],
    401: [SwapUpstreamCodes.unauthenticated],
    410: [SwapUpstreamCodes.gone],
  })
  async receive(
    @Param('upstreamSubscriptionId') id: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Ctx() ctx: RequestContext,
  ): Promise<void> {
    await this.service.receive(ctx, id, authorization, body);
  }
}
