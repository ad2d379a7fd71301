import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { PushRepository } from './push.repository.js';
import { PushService } from './push.service.js';
import { DeviceSwapSubscriptionsController, SimSwapSubscriptionsController } from './subscriptions.controller.js';
import { SubscriptionsService } from './subscriptions.service.js';

/**
 * Swap subscriptions (CAMARA SIM Swap Subscriptions, and the device-swap extension), the outbox
 * their events go to in the unit of work of the change, and the webhook delivery worker.
 */
@Module({
  imports: [AuditModule, CredentialsModule, OperatorsModule],
  controllers: [SimSwapSubscriptionsController, DeviceSwapSubscriptionsController],
  providers: [PushRepository, PushService, SubscriptionsService],
  exports: [PushService],
})
export class PushModule {}
