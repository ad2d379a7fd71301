import { Global, Injectable, Module } from '@nestjs/common';

/** The current time. Injected, so tests can pin it (override the provider with a fixed clock). */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
