import { Body, Controller, Delete, Get, HttpCode, Param, Post, type Type } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentClient, JwtAuth, RequireProduct } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient, ClientProduct } from '../../common/auth/caller.js';
import { AuditAction, OwnUnitOfWork } from '../../common/http/audit-facts.js';
import { Ctx, type RequestContext } from '../../common/http/request-context.js';
import { ApiErrors, type DocumentedErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import {
  DeviceSwapSubscriptionDto,
  DeviceSwapSubscriptionRequestDto,
  SimSwapSubscriptionDto,
  SimSwapSubscriptionRequestDto,
  SubscriptionRequestDto,
  type SubscriptionViewDto,
} from './dto/subscription.dto.js';
import type { SwapKindValue } from './push.repository.js';
import { PushCodes } from './push.errors.js';
import { SubscriptionsService } from './subscriptions.service.js';

const CREATE_ERRORS: DocumentedErrors = {
  400: [
    PushCodes.invalidArgument,
    PushCodes.invalidProtocol,
    PushCodes.invalidCredential,
    PushCodes.invalidToken,
    PushCodes.invalidSink,
  ],
  404: [PushCodes.identifierNotFound],
  409: [PushCodes.alreadyExists],
  422: [PushCodes.missingIdentifier, PushCodes.serviceNotApplicable],
  429: [PushCodes.tooManyRequests],
};
const BY_ID_ERRORS: DocumentedErrors = {
  404: [PushCodes.notFound],
  429: [PushCodes.tooManyRequests],
};

interface Flavour {
  kind: SwapKindValue;
  path: string;
  product: ClientProduct;
  tag: string;
  /** `SimSwap` / `DeviceSwap`, for operation ids in CAMARA's spelling. */
  name: string;
  action: string;
  request: Type<SubscriptionRequestDto>;
  response: Type<SubscriptionViewDto>;
  extension: boolean;
}

/** The four CAMARA subscription operations for one swap kind. */
function subscriptionsController(flavour: Flavour): Type<unknown> {
  const { kind, name, action } = flavour;
  const extension = flavour.extension
    ? ' Gateway extension: CAMARA defines no device-swap subscriptions; this mirrors SIM Swap Subscriptions 0.3.0.'
    : '';

  @ApiTags(flavour.tag)
  @JwtAuth()
  @RequireProduct(flavour.product)
  @Controller(flavour.path)
  class SubscriptionsController {
    constructor(readonly service: SubscriptionsService) {}

    @Post()
    @HttpCode(201)
    @AuditAction(`${action}.create`)
    @OwnUnitOfWork()
    @ApiOperation({
      operationId: `create${name}Subscription`,
      summary: `Create a ${kind === 'sim' ? 'SIM' : 'device'} swap event subscription for a phone number`,
      description: `Events are CloudEvents 1.0 POSTed to \`sink\` with the sink credential's bearer token and a Standard Webhooks HMAC-SHA256 signature (README "Webhooks").${extension}`,
    })
    @ApiBody({ type: flavour.request })
    @ApiCreatedResponse({
      type: flavour.response,
      description: 'Created (the sink credential is never returned)',
    })
    @ApiErrors(CREATE_ERRORS)
    create(
      @Body() body: SubscriptionRequestDto,
      @CurrentClient() client: AuthenticatedClient,
      @Ctx() ctx: RequestContext,
    ): Promise<SubscriptionViewDto> {
      return this.service.create(ctx, client.clientId, kind, body);
    }

    @Get()
    @AuditAction(`${action}.list`)
    @ApiOperation({
      operationId: `retrieve${name}SubscriptionList`,
      summary: "Retrieve a list of the caller's event subscriptions",
      description: `Newest first, at most 1,000.${extension}`,
    })
    @ApiOkResponse({ type: [flavour.response], description: "The caller's subscriptions" })
    @ApiErrors({ 429: ['TOO_MANY_REQUESTS'] })
    list(@CurrentClient() client: AuthenticatedClient): Promise<SubscriptionViewDto[]> {
      return this.service.list(client.clientId, kind);
    }

    @Get(':subscriptionId')
    @AuditAction(`${action}.get`)
    @ApiOperation({
      operationId: `retrieve${name}Subscription`,
      summary: 'Retrieve an event subscription',
      description: `Another client's subscription is 404.${extension}`,
    })
    @ApiParam({ name: 'subscriptionId', schema: { type: 'string', format: 'uuid' } })
    @ApiOkResponse({ type: flavour.response, description: 'The subscription' })
    @ApiErrors(BY_ID_ERRORS)
    get(
      @Param('subscriptionId') id: string,
      @CurrentClient() client: AuthenticatedClient,
      @Ctx() ctx: RequestContext,
    ): Promise<SubscriptionViewDto> {
      return this.service.get(ctx, client.clientId, kind, id);
    }

    @Delete(':subscriptionId')
    @HttpCode(204)
    @AuditAction(`${action}.delete`)
    @OwnUnitOfWork()
    @ApiOperation({
      operationId: `delete${name}Subscription`,
      summary: 'Delete an event subscription',
      description: `The status becomes DELETED and a \`subscription-ended\` event (SUBSCRIPTION_DELETED) is sent to the sink.${extension}`,
    })
    @ApiParam({ name: 'subscriptionId', schema: { type: 'string', format: 'uuid' } })
    @ApiNoContentResponse({ description: 'Deleted' })
    @ApiErrors(BY_ID_ERRORS)
    async delete(
      @Param('subscriptionId') id: string,
      @CurrentClient() client: AuthenticatedClient,
      @Ctx() ctx: RequestContext,
    ): Promise<void> {
      await this.service.delete(ctx, client.clientId, kind, id);
    }
  }
  Object.defineProperty(SubscriptionsController, 'name', {
    value: `Camara${name}SubscriptionsController`,
  });
  return SubscriptionsController;
}

/** CAMARA SIM Swap Subscriptions 0.3.0. */
export const SimSwapSubscriptionsController = subscriptionsController({
  kind: 'sim',
  path: 'sim-swap-subscriptions/v0.3/subscriptions',
  product: 'SIM_SWAP',
  tag: Tags.camaraSimSwapSubscriptions,
  name: 'SimSwap',
  action: 'sim_swap_subscription',
  request: SimSwapSubscriptionRequestDto,
  response: SimSwapSubscriptionDto,
  extension: false,
});

/** The same for device swaps, under a gateway path (CAMARA has none). */
export const DeviceSwapSubscriptionsController = subscriptionsController({
  kind: 'device',
  path: 'device-swap-subscriptions/v0.1/subscriptions',
  product: 'DEVICE_SWAP',
  tag: Tags.deviceSwapSubscriptions,
  name: 'DeviceSwap',
  action: 'device_swap_subscription',
  request: DeviceSwapSubscriptionRequestDto,
  response: DeviceSwapSubscriptionDto,
  extension: true,
});
