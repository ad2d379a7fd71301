import { Module } from '@nestjs/common';
import { OutboundClient } from './outbound-client.js';

/** One OutboundClient (and so one breaker registry) for every module that calls operators. */
@Module({ providers: [OutboundClient], exports: [OutboundClient] })
export class OutboundModule {}
