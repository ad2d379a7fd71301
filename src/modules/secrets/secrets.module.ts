import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { SecretsJobs } from './secrets.jobs.js';
import { SecretsResealService } from './secrets-reseal.service.js';

/**
 * The re-seal job over every sealed store (providers marked `@SealedStore()` in any module). It
 * imports none of them: discovery finds them, so no module depends on this one but the app root.
 */
@Module({
  imports: [DiscoveryModule, AuditModule],
  providers: [SecretsResealService, SecretsJobs],
  exports: [SecretsResealService],
})
export class SecretsModule {}
