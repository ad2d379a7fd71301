import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AdminAuth } from '../../common/auth/auth.decorators.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { PAGE_LIMIT_DEFAULT, type Page } from '../../common/http/pagination.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import {
  DeliveriesQueryDto,
  DeliveryDetailDto,
  DeliveryDto,
  DeliveryPageDto,
  SigningKeyDto,
} from './dto/push-admin.dto.js';
import { PushAdminService } from './push-admin.service.js';
import { PushCodes } from './push.errors.js';

/** Webhook deliveries for admins: the dead letters, every attempt of an event, replay; clients' signing keys. */
@ApiTags(Tags.adminPush)
@Controller('admin/v1/push')
export class PushAdminController {
  constructor(private readonly service: PushAdminService) {}

  @Get('deliveries')
  @AdminAuth('auditor')
  @AuditAction('push.deliveries.list')
  @ApiOperation({
    summary: 'List webhook events, newest first; `status=dead` lists the dead letters.',
  })
  @ApiOkResponse({ type: DeliveryPageDto, description: 'A page of events.' })
  list(@Query() query: DeliveriesQueryDto): Promise<Page<DeliveryDto>> {
    return this.service.list(
      { status: query.status, clientId: query.clientId },
      query.limit ?? PAGE_LIMIT_DEFAULT,
      query.cursor,
    );
  }

  @Get('deliveries/:eventId')
  @AdminAuth('auditor')
  @AuditAction('push.deliveries.get')
  @ApiOperation({
    summary:
      'One event with every delivery attempt (status, latency, error; never the body or the token).',
  })
  @ApiParam({ name: 'eventId', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ type: DeliveryDetailDto, description: 'The event and its attempts.' })
  @ApiErrors({ 404: [CommonCodes.notFound] })
  get(@Param('eventId') id: string): Promise<DeliveryDetailDto> {
    return this.service.get(id);
  }

  @Post('deliveries/:eventId/replay')
  @HttpCode(200)
  @AdminAuth('admin')
  @AuditAction('push.deliveries.replay')
  @OwnUnitOfWork()
  @ApiOperation({
    summary: 'Send a dead (or cancelled) event again now, with the same CloudEvents id.',
  })
  @ApiParam({ name: 'eventId', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({
    type: DeliveryDetailDto,
    description: 'The event, due now, with its attempts so far.',
  })
  @ApiErrors({ 404: [CommonCodes.notFound], 409: [PushCodes.notReplayable] })
  replay(@Param('eventId') id: string, @Ctx() ctx: RequestContext): Promise<DeliveryDetailDto> {
    return this.service.replay(ctx, id);
  }

  @Post('clients/:clientId/signing-keys')
  @AdminAuth('admin')
  @AuditAction('push.signing_key.rotate')
  @OwnUnitOfWork()
  @ApiOperation({
    summary: "Issue a client's new webhook signing key (its secret is in this answer only).",
    description:
      'Events are signed with the new key at once; the previous keys sign too until `previousKeysRetireAt` (PUSH_SIGNING_KEY_OVERLAP_HOURS), so receivers can switch without losing events.',
  })
  @ApiParam({ name: 'clientId', schema: { type: 'string' } })
  @ApiCreatedResponse({ type: SigningKeyDto, description: 'The new key and its secret.' })
  rotateSigningKey(
    @Param('clientId') clientId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<SigningKeyDto> {
    return this.service.rotateSigningKey(ctx, clientId);
  }
}
