import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RequestContexts } from './request-contexts.js';
import { RouteFactsRegistry } from './route-facts.js';

/** Request contexts and route facts, for every module that must judge a request before routing. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [RouteFactsRegistry, RequestContexts],
  exports: [RouteFactsRegistry, RequestContexts],
})
export class HttpContextModule {}
