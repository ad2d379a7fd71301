import { Injectable } from '@nestjs/common';
import { CredentialsRepository } from './credentials.repository.js';
import { SharedRedis } from './shared-redis.js';

/**
 * Makes a JWT's `jti` single-use across every instance until the token expires: a unique row in
 * PostgreSQL (or `SET NX` in Redis when REDIS_URL is set). The first instance to claim it wins.
 */
@Injectable()
export class JwtReplayGuard {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly redis: SharedRedis,
  ) {}

  async claim(keyId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const client = this.redis.client;
    if (client) {
      const ttlMs = Math.max(1_000, expiresAt.getTime() - Date.now());
      return (await client.set(`mig:jti:${keyId}:${jti}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    }
    return this.repository.recordJwtId(keyId, jti, expiresAt);
  }
}
