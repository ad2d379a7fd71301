import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { AdminClientsController } from './admin-clients.controller.js';
import { AdminKeysController } from './admin-keys.controller.js';
import { BrowserCors } from './browser-cors.js';
import { BrowserOrigins } from './browser-origins.service.js';
import { Authenticator } from './authenticator.service.js';
import { CredentialAudit } from './credential-audit.js';
import { CredentialCache } from './credential-cache.js';
import { CredentialsMaintenanceService } from './credentials-maintenance.service.js';
import { CredentialsGuard } from './credentials.guard.js';
import { CredentialsJobs } from './credentials.jobs.js';
import { CredentialsRepository } from './credentials.repository.js';
import { ClientManagementService } from './client-management.service.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import { CredentialViewsService } from './credential-views.service.js';
import { LastUsedRecorder } from './last-used-recorder.js';
import { RateLimitRepository } from './rate-limit.repository.js';
import { SourceThrottle } from './source-throttle.js';
import { RateLimiter } from './rate-limiter.service.js';
import { AdminBootstrapController } from './admin-bootstrap.controller.js';
import { SandboxBootstrap } from './sandbox-bootstrap.js';
import { SdkTokenController } from './sdk-token.controller.js';
import { SelfServiceController } from './self-service.controller.js';
import { SharedRedis } from './shared-redis.js';

/**
 * Who may call the gateway (clients, their keys and tokens, admin keys) and the global guard that
 * checks them.
 */
@Module({
  imports: [AuditModule],
  controllers: [
    SdkTokenController,
    SelfServiceController,
    AdminClientsController,
    AdminKeysController,
    AdminBootstrapController,
  ],
  providers: [
    CredentialsRepository,
    RateLimitRepository,
    CredentialAudit,
    CredentialCache,
    ClientManagementService,
    CredentialIssuanceService,
    CredentialViewsService,
    CredentialsMaintenanceService,
    CredentialsJobs,
    Authenticator,
    LastUsedRecorder,
    RateLimiter,
    SourceThrottle,
    SharedRedis,
    SandboxBootstrap,
    BrowserOrigins,
    BrowserCors,
    { provide: APP_GUARD, useClass: CredentialsGuard },
  ],
  exports: [
    ClientManagementService,
    CredentialIssuanceService,
    CredentialViewsService,
    CredentialsMaintenanceService,
    SourceThrottle,
    BrowserOrigins,
  ],
})
export class CredentialsModule {}
