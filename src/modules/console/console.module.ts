import fastifyStatic from '@fastify/static';
import { SealedConsoleUsers } from './console-sealed-store.js';
import { Global, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import path from 'node:path';
import { ConsoleSessionAuthenticator } from '../../common/auth/console-session.js';
import { AuditModule } from '../audit/audit.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { IntelligenceModule } from '../intelligence/intelligence.module.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { SimSwapModule } from '../sim-swap/sim-swap.module.js';
import { VerificationModule } from '../verification/verification.module.js';
import { ConsoleAdminController } from './console-admin.controller.js';
import { ConsoleAuditController } from './console-audit.controller.js';
import { ConsoleClientController } from './console-client.controller.js';
import { CONSOLE_PAGE_HEADERS, consoleBuildDir } from './console-pages.js';
import { ConsolePagesController } from './console-pages.controller.js';
import { ConsolePoliciesController } from './console-policies.controller.js';
import { ConsoleSessionController } from './console-session.controller.js';
import { ConsoleSessionsService } from './console-sessions.service.js';
import { ConsoleUsersController } from './console-users.controller.js';
import { ConsoleUsersService } from './console-users.service.js';
import { ConsoleJobs } from './console.jobs.js';
import { ConsoleRepository } from './console.repository.js';
import { fastifyOf } from '../../common/http/fastify-instance.js';

/**
 * The web console at /console: accounts, sessions and the JSON API its pages call, which reach
 * the other modules only through their services. Global for one reason: the one guard (in
 * CredentialsModule, which this module depends on) reads console sessions through the
 * ConsoleSessionAuthenticator token exported here.
 */
@Global()
@Module({
  imports: [
    AuditModule,
    CredentialsModule,
    VerificationModule,
    OperatorsModule,
    SimSwapModule,
    IntelligenceModule,
  ],
  controllers: [
    ConsoleSessionController,
    ConsoleClientController,
    ConsoleAdminController,
    ConsolePoliciesController,
    ConsoleUsersController,
    ConsoleAuditController,
    ConsolePagesController,
  ],
  providers: [
    ConsoleRepository,
    ConsoleUsersService,
    ConsoleSessionsService,
    ConsoleJobs,
    SealedConsoleUsers,
    { provide: ConsoleSessionAuthenticator, useExisting: ConsoleSessionsService },
  ],
  exports: [ConsoleSessionAuthenticator, ConsoleUsersService],
})
export class ConsoleModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = fastifyOf(this.adapterHost);
    if (!fastify) return;
    // Vite names every asset by its content hash, so they can be cached for good.
    void fastify.register(fastifyStatic, {
      root: path.join(consoleBuildDir(), 'assets'),
      prefix: '/console/assets/',
      decorateReply: false,
      index: false,
      // One route per built file (they exist before start): a missing asset is an ordinary 404.
      wildcard: false,
      immutable: true,
      maxAge: '365d',
      setHeaders: (response) => {
        void response.headers(CONSOLE_PAGE_HEADERS);
      },
    });
    // Console API answers hold secrets shown once and personal data: never cached.
    fastify.addHook('onSend', async (request, reply) => {
      if (request.url.startsWith('/console/api/')) {
        if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
        void reply.header('x-content-type-options', 'nosniff');
      }
    });
  }
}
