import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Environment } from '../../common/config/environment.js';

/**
 * The optional Redis behind the rate-limit counters. Without REDIS_URL they live in PostgreSQL,
 * which every instance shares anyway; the gateway never needs Redis. (JWT replay markers are
 * always in PostgreSQL: they are claimed in the request's unit of work.)
 */
@Injectable()
export class SharedRedis implements OnApplicationShutdown {
  readonly client: Redis | undefined;

  constructor(environment: Environment) {
    if (environment.REDIS_URL) {
      this.client = new Redis(environment.REDIS_URL, {
        lazyConnect: false,
        maxRetriesPerRequest: 2,
        enableOfflineQueue: true,
      });
      // Without a listener a lost connection would crash the process; commands fail and the request gets a 5xx instead.
      this.client.on('error', (error: Error) => {
        new Logger(SharedRedis.name).warn(`redis: ${error.message}`);
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client) await this.client.quit().catch(() => undefined);
  }
}
