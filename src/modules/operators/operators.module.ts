import { Module } from '@nestjs/common';
import { OperatorSecretsRepository } from './operator-secrets.repository.js';
import { OperatorSecretsService } from './operator-secrets.service.js';
import { OperatorsController } from './operators.controller.js';
import { OperatorsRepository } from './operators.repository.js';
import { OperatorsService } from './operators.service.js';
import { SandboxNetworkBootstrap } from './sandbox-network.bootstrap.js';

/** Mobile network operators: routing by number prefix, enrichment settings, adapter choice, upstream secrets. */
@Module({
  controllers: [OperatorsController],
  // The operators' upstream secrets are sealed with the global SecretBox (common/crypto).
  providers: [
    OperatorsRepository,
    OperatorsService,
    OperatorSecretsRepository,
    OperatorSecretsService,
    SandboxNetworkBootstrap,
  ],
  exports: [OperatorsService, OperatorSecretsService],
})
export class OperatorsModule {}
