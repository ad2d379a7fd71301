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
import { CredentialsService } from './credentials.service.js';
import { GatewaySecretsRepository } from '../operators/operator-secrets.repository.js';
import { LastUsedRecorder } from './last-used-recorder.js';
import { OperatorSecretsService } from '../operators/operator-secrets.service.js';
import { ProofKeysService } from '../verification/proof-keys.service.js';
import { RateLimitRepository } from './rate-limit.repository.js';
import { SourceThrottle } from './source-throttle.js';
import { RateLimiter } from './rate-limiter.service.js';
import { AdminBootstrapController } from './admin-bootstrap.controller.js';
import { SandboxBootstrap } from './sandbox-bootstrap.js';
import { SdkTokenController } from './sdk-token.controller.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { SelfServiceController } from './self-service.controller.js';
import { SharedRedis } from './shared-redis.js';

/**
 * Who may call the gateway (clients, their keys and tokens, admin keys), the global guard that
 * checks them, and the gateway's own secrets (sealed operator credentials, proof keys).
 */
@Module({
  imports: [AuditModule],
  controllers: [SdkTokenController, SelfServiceController, AdminClientsController, AdminKeysController, AdminBootstrapController],
  providers: [
    CredentialsRepository,
    RateLimitRepository,
    GatewaySecretsRepository,
    OperatorSecretsService,
    ProofKeysService,
    CredentialAudit,
    CredentialCache,
    CredentialsService,
    CredentialsMaintenanceService,
    CredentialsJobs,
    Authenticator,
    LastUsedRecorder,
    RateLimiter,
    SourceThrottle,
    SecretBox,
    SharedRedis,
    SandboxBootstrap,
    BrowserOrigins,
    BrowserCors,
    { provide: APP_GUARD, useClass: CredentialsGuard },
  ],
  exports: [CredentialsService, CredentialsMaintenanceService, SourceThrottle, SecretBox, OperatorSecretsService, ProofKeysService, BrowserOrigins],
})
export class CredentialsModule {}
