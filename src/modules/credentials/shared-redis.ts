import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Environment } from '../../common/config/environment.js';

/**
 * The optional Redis behind rate-limit counters and JWT replay protection. Without REDIS_URL both
 * live in PostgreSQL, which every instance shares anyway; the gateway never needs Redis.
 */
@Injectable()
export class SharedRedis implements OnApplicationShutdown {
  readonly client: Redis | undefined;

  constructor(environment: Environment) {
    if (environment.REDIS_URL) {
      this.client = new Redis(environment.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
      // Without a listener a lost connection would crash the process; commands fail and the request gets a 5xx instead.
      this.client.on('error', (error: Error) => new Logger(SharedRedis.name).warn(`redis: ${error.message}`));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client) await this.client.quit().catch(() => undefined);
  }
}
