import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { OperatorsController } from './operators.controller.js';
import { OperatorsRepository } from './operators.repository.js';
import { OperatorsService } from './operators.service.js';
import { SandboxNetworkBootstrap } from './sandbox-network.bootstrap.js';

/** Mobile network operators: routing by number prefix, enrichment settings, adapter choice. */
@Module({
  // Credentials holds the operators' upstream secrets (encrypted with its SecretBox).
  imports: [CredentialsModule],
  controllers: [OperatorsController],
  providers: [OperatorsRepository, OperatorsService, SandboxNetworkBootstrap],
  exports: [OperatorsService],
})
export class OperatorsModule {}
