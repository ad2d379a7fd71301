import { Module } from '@nestjs/common';
import { SealedPushSigningKeys, SealedPushSubscriptions } from './push-sealed-stores.js';
import { AuditModule } from '../audit/audit.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { DeliveryQueue, DeliveryQueueClockProvider } from './delivery.queue.js';
import { DeliveryService } from './delivery.service.js';
import { DeliveryWorker } from './delivery.worker.js';
import { PushAdminController } from './push-admin.controller.js';
import { PushAdminService } from './push-admin.service.js';
import { PushJobs } from './push.jobs.js';
import { PushRepository } from './push.repository.js';
import { PushService } from './push.service.js';
import {
  DeviceSwapSubscriptionsController,
  SimSwapSubscriptionsController,
} from './subscriptions.controller.js';
import { SubscriptionsService } from './subscriptions.service.js';

/**
 * Swap subscriptions (CAMARA SIM Swap Subscriptions, and the device-swap extension), the outbox
 * their events go to in the unit of work of the change, and the webhook delivery worker on pg-boss.
 */
@Module({
  imports: [AuditModule, OperatorsModule],
  controllers: [
    SimSwapSubscriptionsController,
    DeviceSwapSubscriptionsController,
    PushAdminController,
  ],
  providers: [
    PushRepository,
    PushService,
    SubscriptionsService,
    DeliveryQueue,
    DeliveryQueueClockProvider,
    DeliveryService,
    DeliveryWorker,
    PushAdminService,
    PushJobs,
    SealedPushSubscriptions,
    SealedPushSigningKeys,
  ],
  exports: [PushService, DeliveryService, PushAdminService],
})
export class PushModule {}
